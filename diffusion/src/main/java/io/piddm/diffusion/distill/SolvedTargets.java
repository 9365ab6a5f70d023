package io.piddm.diffusion.distill;

import io.piddm.diffusion.edm.Normalization;
import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.metrics.SolutionConsistency;
import io.piddm.physics.pde.EllipticGenerator;
import io.piddm.physics.pde.Pde;

/**
 * Makes a pair's target physically consistent: keeps the teacher's coefficient (or source) a and
 * replaces its u by the project's solver's solution of the boundary value problem for that a. The
 * student then regresses onto fields that solve their PDE, so the regression and residual terms ask
 * for the same u. A target whose a the solver refuses (a non-positive Darcy permeability) keeps the
 * teacher's u and is counted.
 */
public final class SolvedTargets {

  private final Normalization normalization;
  private final EllipticGenerator solver;
  private final Grid grid;
  private final int channels;
  private long solved;
  private long refused;

  public SolvedTargets(Pde pde, Grid grid, Normalization normalization) {
    if (!SolutionConsistency.applies(pde)) {
      throw new IllegalArgumentException(
          pde.id() + ": solved targets need an elliptic boundary value problem");
    }
    this.normalization = normalization;
    this.solver = EllipticGenerator.standard(pde, grid);
    this.grid = grid;
    this.channels = pde.channels().size();
  }

  /**
   * Replaces u (the last channel) of the normalised sample at {@code offset} of {@code x0}, laid
   * out [C, S, S], by the solution for its a (the first channel).
   */
  public void apply(float[] x0, int offset) {
    int pixels = grid.size() * grid.size();
    double[] a = new double[pixels];
    double aStd = normalization.std()[0];
    double aMean = normalization.mean()[0];
    for (int k = 0; k < pixels; k++) {
      a[k] = x0[offset + k] * aStd + aMean;
    }
    Field u;
    try {
      u = solver.solve(new Field(grid.size(), grid.size(), a)).channels().get(1);
    } catch (IllegalArgumentException e) {
      refused++;
      return;
    }
    int last = channels - 1;
    double uStd = normalization.std()[last];
    double uMean = normalization.mean()[last];
    double[] values = u.values();
    for (int k = 0; k < pixels; k++) {
      x0[offset + last * pixels + k] = (float) ((values[k] - uMean) / uStd);
    }
    solved++;
  }

  /** Targets replaced by a solution so far. */
  public long solved() {
    return solved;
  }

  /** Targets whose a the solver refused (they keep the teacher's u). */
  public long refused() {
    return refused;
  }
}
