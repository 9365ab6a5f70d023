package io.piddm.physics.bench;

import com.google.gson.Gson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;

/**
 * SciPy's spsolve of the same 5-point Darcy system, one thread, through {@code
 * physics/src/bench/python/spsolve_darcy.py}: the baseline the Java solver's speed is quoted
 * against.
 */
public final class ScipyBaseline {

  public static final String SCRIPT = "physics/src/bench/python/spsolve_darcy.py";

  private ScipyBaseline() {}

  /**
   * SciPy's median spsolve time in ms at {@code resolution}², empty (with the reason on stderr)
   * when python3, SciPy or the script is not there.
   */
  public static OptionalDouble solveMillis(Path projectHome, int resolution, int repeats)
      throws InterruptedException {
    Path script = projectHome.resolve(SCRIPT);
    if (!Files.isRegularFile(script)) {
      System.err.println("SciPy baseline unavailable: no " + script);
      return OptionalDouble.empty();
    }
    try {
      ProcessBuilder builder =
          new ProcessBuilder(
                  "python3",
                  script.toString(),
                  "--resolution",
                  Integer.toString(resolution),
                  "--repeats",
                  Integer.toString(repeats))
              .redirectErrorStream(true);
      for (String v : List.of("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")) {
        builder.environment().put(v, "1");
      }
      Process process = builder.start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
        System.err.println("SciPy baseline failed: " + output.strip());
        return OptionalDouble.empty();
      }
      String last = output.strip().lines().reduce((a, b) -> b).orElse("{}");
      Map<?, ?> parsed = new Gson().fromJson(last, Map.class);
      return OptionalDouble.of(((Number) parsed.get("solve_ms_median")).doubleValue());
    } catch (IOException | RuntimeException e) {
      System.err.println("SciPy baseline unavailable: " + e.getMessage());
      return OptionalDouble.empty();
    }
  }
}
