package io.piddm.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.Gson;
import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.metrics.SolutionConsistency;
import io.piddm.physics.pde.EllipticGenerator;
import io.piddm.physics.pde.Pde;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jetbrains.bio.npy.NpyFile;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Solution consistency as this project computes it against the sceptic's check a user can run on
 * the committed sample arrays without this project's code ({@code
 * results/src/check/python/resolve_samples.py}: SciPy assembles and solves the PDE for each a).
 * Skipped, saying why, where python3 with NumPy and SciPy is not installed.
 */
class IndependentSolveTest {

  private static final Path SCRIPT = Path.of("..", "results/src/check/python/resolve_samples.py");

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(
      value = Pde.class,
      names = {"DARCY", "POISSON", "HELMHOLTZ"})
  void scipyAgreesWithTheProjectsSolutionConsistency(Pde pde) throws Exception {
    assumeTrue(
        run("python3", "-c", "import numpy, scipy").exit() == 0,
        "python3 with NumPy and SciPy is not installed");
    Grid grid = new Grid(16);
    EllipticGenerator generator = EllipticGenerator.standard(pde, grid);
    List<List<Field>> samples = new ArrayList<>();
    float[] data = new float[5 * 2 * 16 * 16];
    for (int n = 0; n < 5; n++) {
      List<Field> field = generator.sample(9, n).channels();
      // u off its solution by a smooth bump of n × 3 % of its peak: errors of known, different size
      Field u = field.get(1).copy();
      double peak = 0;
      for (double v : u.values()) {
        peak = Math.max(peak, Math.abs(v));
      }
      for (int i = 1; i < 15; i++) {
        for (int j = 1; j < 15; j++) {
          u.set(
              i,
              j,
              u.get(i, j)
                  + 0.03 * n * peak * Math.sin(Math.PI * i / 15) * Math.sin(Math.PI * j / 15));
        }
      }
      samples.add(List.of(field.get(0), u));
      for (int c = 0; c < 2; c++) {
        double[] v = samples.get(n).get(c).values();
        for (int k = 0; k < v.length; k++) {
          data[(n * 2 + c) * 256 + k] = (float) v[k];
        }
      }
    }
    Path npy = dir.resolve("samples.npy");
    NpyFile.write(npy, data, new int[] {5, 2, 16, 16});
    Result r = run("python3", SCRIPT.toString(), "--pde", pde.id(), npy.toString());
    assertThat(r.exit()).as(r.output()).isZero();
    String json = r.output().strip().lines().reduce((a, b) -> b).orElseThrow();
    Map<?, ?> report = (Map<?, ?>) new Gson().fromJson(json, Map.class).get(npy.toString());
    double scipy = ((Number) report.get("median_relative_l2")).doubleValue();
    // the project's metric on the same float32 values the script reads
    List<List<Field>> stored = new ArrayList<>();
    for (int n = 0; n < 5; n++) {
      List<Field> channels = new ArrayList<>();
      for (int c = 0; c < 2; c++) {
        double[] v = new double[256];
        for (int k = 0; k < 256; k++) {
          v[k] = data[(n * 2 + c) * 256 + k];
        }
        channels.add(new Field(16, 16, v));
      }
      stored.add(channels);
    }
    double java = SolutionConsistency.of(pde, grid, stored).median();
    assertThat(java).isGreaterThan(0.02);
    assertThat(scipy).isCloseTo(java, org.assertj.core.data.Percentage.withPercentage(1e-3));
  }

  private record Result(int exit, String output) {}

  private static Result run(String... command) throws Exception {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return new Result(p.waitFor(), out);
    } catch (java.io.IOException e) {
      return new Result(-1, e.getMessage());
    }
  }
}
