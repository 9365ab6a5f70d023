package io.piddm.physics.metrics;

import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.EllipticGenerator;
import io.piddm.physics.pde.Pde;
import java.util.Arrays;
import java.util.List;

/**
 * Solution consistency: for each generated joint field of an elliptic PDE, the project's solver
 * solves the boundary value problem for the generated coefficient (or source) {@code a}, and the
 * generated {@code u} is compared with that solution by relative L2. It is the check anyone can
 * repeat with a solver of their own, and it fails fields whose residual is small only in the
 * interior. For Darcy it is also reported with {@code a} thresholded at 7.5 to {3, 12}, as
 * DiffusionPDE scores its samples.
 *
 * <p>A coefficient the solver cannot take (non-positive Darcy permeability: the operator is not
 * positive definite) counts as a failed sample: relative L2 = +∞, so medians show it.
 *
 * @param median median over samples of ‖u − solve(a)‖ / ‖solve(a)‖
 * @param perSample the relative L2 of each sample, in order
 * @param thresholdedMedian Darcy only (NaN otherwise): the same with a thresholded to {3, 12}
 * @param failed samples whose coefficient the solver refused
 */
public record SolutionConsistency(
    double median, double[] perSample, double thresholdedMedian, int failed) {

  /** Whether {@code pde}'s fields can be judged this way (Burgers is an initial value problem). */
  public static boolean applies(Pde pde) {
    return pde != Pde.BURGERS;
  }

  public static SolutionConsistency of(Pde pde, Grid grid, List<List<Field>> samples) {
    if (!applies(pde)) {
      throw new IllegalArgumentException(
          pde.id() + ": solution consistency needs an elliptic boundary value problem");
    }
    if (samples.isEmpty()) {
      throw new IllegalArgumentException("samples: needs at least one sample");
    }
    EllipticGenerator solver = EllipticGenerator.standard(pde, grid);
    double[] errors = new double[samples.size()];
    double[] thresholded = new double[samples.size()];
    int failed = 0;
    for (int n = 0; n < samples.size(); n++) {
      Field a = samples.get(n).get(0);
      Field u = samples.get(n).get(1);
      errors[n] = relativeError(solver, a, u);
      if (Double.isInfinite(errors[n])) {
        failed++;
      }
      thresholded[n] = pde == Pde.DARCY ? relativeError(solver, thresholdDarcy(a), u) : Double.NaN;
    }
    return new SolutionConsistency(
        Moments.median(errors),
        errors,
        pde == Pde.DARCY ? Moments.median(thresholded) : Double.NaN,
        failed);
  }

  private static double relativeError(EllipticGenerator solver, Field a, Field u) {
    Field solved;
    try {
      solved = solver.solve(a).channels().get(1);
    } catch (IllegalArgumentException e) {
      return Double.POSITIVE_INFINITY;
    }
    return SampleMetrics.relativeL2(u, solved);
  }

  /** a ≥ 7.5 → 12, else 3: the binary coefficient the Darcy data are drawn from. */
  public static Field thresholdDarcy(Field a) {
    Field t = a.copy();
    double[] v = t.values();
    for (int k = 0; k < v.length; k++) {
      v[k] =
          v[k] >= EllipticGenerator.DARCY_THRESHOLD
              ? EllipticGenerator.DARCY_HIGH
              : EllipticGenerator.DARCY_LOW;
    }
    return t;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SolutionConsistency s
        && Double.compare(s.median, median) == 0
        && Arrays.equals(s.perSample, perSample)
        && Double.compare(s.thresholdedMedian, thresholdedMedian) == 0
        && s.failed == failed;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(perSample);
  }

  @Override
  public String toString() {
    return "SolutionConsistency[median " + median + ", failed " + failed + "]";
  }
}
