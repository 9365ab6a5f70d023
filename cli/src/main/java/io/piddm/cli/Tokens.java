package io.piddm.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A service's bearer token for the CLI: the --token option, else the environment variable, else the
 * token the service generated on this machine in ~/.piddm/SERVICE/token; null when none.
 */
final class Tokens {

  private Tokens() {}

  static String resolve(String option, String environmentVariable, String service)
      throws IOException {
    if (option != null && !option.isBlank()) {
      return option.trim();
    }
    String env = System.getenv(environmentVariable);
    if (env != null && !env.isBlank()) {
      return env.trim();
    }
    Path generated = Path.of(System.getProperty("user.home"), ".piddm", service, "token");
    return Files.isRegularFile(generated)
        ? Files.readString(generated, StandardCharsets.UTF_8).trim()
        : null;
  }
}
