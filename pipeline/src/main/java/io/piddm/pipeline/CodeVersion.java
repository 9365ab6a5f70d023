package io.piddm.pipeline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The version of the code that trains or measures, for lineage and benchmark reports: {@code
 * PIDDM_CODE_VERSION} when the deployment sets it (an image tag, a git describe), else the jar's
 * implementation version, else {@code git describe} of the checkout named by {@code piddm.home}
 * (tests and benches run from one), else "development".
 */
public final class CodeVersion {

  private CodeVersion() {}

  public static String current() {
    String configured = System.getenv("PIDDM_CODE_VERSION");
    if (configured != null && !configured.isBlank()) {
      return configured.trim();
    }
    String version = CodeVersion.class.getPackage().getImplementationVersion();
    if (version != null) {
      return version;
    }
    String home = System.getProperty("piddm.home");
    return home == null ? "development" : gitDescribe(Path.of(home));
  }

  private static String gitDescribe(Path checkout) {
    if (!Files.isDirectory(checkout.resolve(".git"))
        && !Files.isRegularFile(checkout.resolve(".git"))) {
      return "development";
    }
    try {
      Process git =
          new ProcessBuilder("git", "-C", checkout.toString(), "describe", "--always", "--dirty")
              .redirectErrorStream(true)
              .start();
      String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      return git.waitFor(10, TimeUnit.SECONDS) && git.exitValue() == 0 && !out.isEmpty()
          ? out
          : "development";
    } catch (IOException e) {
      return "development";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "development";
    }
  }
}
