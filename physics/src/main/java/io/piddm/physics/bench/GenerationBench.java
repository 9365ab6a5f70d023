package io.piddm.physics.bench;

import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.EllipticGenerator;
import io.piddm.physics.pde.JointField;
import io.piddm.physics.pde.Pde;
import java.util.Arrays;

/**
 * Single-thread timings of data generation: whole samples (GRF, coefficient, assembly,
 * factorisation, solve) and the 5-point solve alone, as medians over repeats after a warm-up.
 * {@code piddm data bench} prints them beside SciPy's spsolve of the same system.
 */
public final class GenerationBench {

  /** Medians in milliseconds for one PDE and resolution. */
  public record Result(
      Pde pde, int resolution, int samples, int repeats, double sampleMillis, double solveMillis) {

    public double samplesPerSecondPerCore() {
      return 1000 / sampleMillis;
    }
  }

  private GenerationBench() {}

  public static Result run(Pde pde, int resolution, int samples, int repeats) {
    Grid grid = new Grid(resolution);
    EllipticGenerator generator = EllipticGenerator.standard(pde, grid);
    for (int w = 0; w < Math.max(3, samples / 2); w++) {
      generator.sample(0, w);
    }
    double[] sampleMillis = new double[repeats];
    double[] solveMillis = new double[repeats];
    long index = 1000;
    for (int r = 0; r < repeats; r++) {
      long start = System.nanoTime();
      JointField last = null;
      for (int n = 0; n < samples; n++) {
        last = generator.sample(1, index++);
      }
      sampleMillis[r] = (System.nanoTime() - start) / 1e6 / samples;
      solveMillis[r] = timeSolveOnly(pde, grid, last.channels().get(0), samples);
    }
    return new Result(pde, resolution, samples, repeats, median(sampleMillis), median(solveMillis));
  }

  private static double timeSolveOnly(Pde pde, Grid grid, Field a, int solves) {
    EllipticGenerator generator = EllipticGenerator.standard(pde, grid);
    generator.solve(a); // symbolic analysis once, as in generation
    long start = System.nanoTime();
    for (int n = 0; n < solves; n++) {
      generator.solve(a);
    }
    return (System.nanoTime() - start) / 1e6 / solves;
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  }
}
