package io.piddm.probe;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannelBuilder;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Every client channel of the project in one place: TLS when a CA file is known (the services'
 * certificates are checked against it, host names included), plaintext otherwise. The CA comes from
 * the caller's configuration, else from {@code -Dpiddm.ca-file} or the {@code PIDDM_CA_FILE}
 * environment variable, so the CLI and the mesh's readiness probes follow a TLS deployment without
 * an option on every command.
 */
public final class GrpcChannels {

  public static final String CA_FILE_PROPERTY = "piddm.ca-file";
  public static final String CA_FILE_ENVIRONMENT = "PIDDM_CA_FILE";

  private GrpcChannels() {}

  /** The process-wide CA file, if one is set (system property first, then the environment). */
  public static Optional<Path> defaultCaFile() {
    String value = System.getProperty(CA_FILE_PROPERTY);
    if (value == null || value.isBlank()) {
      value = System.getenv(CA_FILE_ENVIRONMENT);
    }
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(Path.of(value.trim()));
  }

  /** A builder for {@code target} (host:port) over TLS with the process-wide CA, if any. */
  public static ManagedChannelBuilder<?> forTarget(String target) {
    return forTarget(target, defaultCaFile());
  }

  /** A builder for {@code target} over TLS trusting {@code caFile}, or plaintext without one. */
  public static ManagedChannelBuilder<?> forTarget(String target, Optional<Path> caFile) {
    return Grpc.newChannelBuilder(target, credentials(caFile));
  }

  public static ManagedChannelBuilder<?> forAddress(String host, int port) {
    return Grpc.newChannelBuilderForAddress(host, port, credentials(defaultCaFile()));
  }

  private static ChannelCredentials credentials(Optional<Path> caFile) {
    if (caFile.isEmpty()) {
      return InsecureChannelCredentials.create();
    }
    Path ca = caFile.get();
    if (!Files.isReadable(ca)) {
      throw new IllegalArgumentException("CA file " + ca + " does not exist or is not readable");
    }
    try {
      return TlsChannelCredentials.newBuilder().trustManager(ca.toFile()).build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the CA file " + ca, e);
    }
  }
}
