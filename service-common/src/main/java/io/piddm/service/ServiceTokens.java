package io.piddm.service;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * A service's bearer token: the configured one, else one generated once into {@code
 * <data-dir>/token} (kept across restarts, so the CLI of the same account can read it), created
 * readable by its owner only; a token file other accounts can read is named in a warning.
 */
public final class ServiceTokens {

  private static final Logger LOG = Logger.getLogger(ServiceTokens.class);

  private ServiceTokens() {}

  public static String configuredOrGenerated(
      Optional<String> configured, Path dataDir, String configKey) {
    Optional<String> given = configured.map(String::trim).filter(t -> !t.isEmpty());
    if (given.isPresent()) {
      return given.get();
    }
    Path file = dataDir.resolve("token");
    try {
      if (Files.exists(file)) {
        PrivateFiles.exposure(file, "the generated " + configKey).ifPresent(LOG::warn);
        return Files.readString(file, StandardCharsets.UTF_8).trim();
      }
      byte[] raw = new byte[24];
      new SecureRandom().nextBytes(raw);
      String token = HexFormat.of().formatHex(raw);
      // owner-only from its first byte, in an owner-only folder when this creates the folder
      PrivateFiles.writeNew(file, token + "\n");
      LOG.infof("no %s configured: generated one into %s (owner-only)", configKey, file);
      return token;
    } catch (IOException e) {
      throw new IllegalStateException("cannot keep the generated token in " + file, e);
    }
  }
}
