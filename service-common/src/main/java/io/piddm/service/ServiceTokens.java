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
 * <data-dir>/token} (kept across restarts, so the CLI on the same machine can read it).
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
        return Files.readString(file, StandardCharsets.UTF_8).trim();
      }
      Files.createDirectories(dataDir);
      byte[] raw = new byte[24];
      new SecureRandom().nextBytes(raw);
      String token = HexFormat.of().formatHex(raw);
      Files.writeString(file, token + "\n", StandardCharsets.UTF_8);
      LOG.infof("no %s configured: generated one into %s", configKey, file);
      return token;
    } catch (IOException e) {
      throw new IllegalStateException("cannot keep the generated token in " + file, e);
    }
  }
}
