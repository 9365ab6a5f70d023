package io.piddm.registry.store;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

/**
 * An S3 server inside this process: S3Proxy over a filesystem store in {@code directory}, bound to
 * {@code host}, requiring AWS signatures with the given credentials. What it stores survives
 * restarts because it is plain files.
 */
public final class EmbeddedS3 implements AutoCloseable {

  private final S3Proxy proxy;
  private final String host;
  private final String accessKey;
  private final String secretKey;

  private EmbeddedS3(S3Proxy proxy, String host, String accessKey, String secretKey) {
    this.proxy = proxy;
    this.host = host;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
  }

  /** Starts the server (port 0 picks a free one) and waits until it accepts requests. */
  public static EmbeddedS3 start(
      Path directory, String host, int port, String accessKey, String secretKey) throws Exception {
    Files.createDirectories(directory);
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(new FilesystemNio2BlobStore(directory.toAbsolutePath().toString()))
            .endpoint(URI.create("http://" + host + ":" + port))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
            .ignoreUnknownHeaders(true)
            .build();
    proxy.start();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    while (!"STARTED".equals(proxy.getState())) {
      if (Instant.now().isAfter(deadline)) {
        proxy.stop();
        throw new IllegalStateException("embedded S3 did not start: " + proxy.getState());
      }
      Thread.sleep(10);
    }
    return new EmbeddedS3(proxy, host, accessKey, secretKey);
  }

  public String endpoint() {
    return "http://" + host + ":" + proxy.getPort();
  }

  public int port() {
    return proxy.getPort();
  }

  public String accessKey() {
    return accessKey;
  }

  public String secretKey() {
    return secretKey;
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
  }
}
