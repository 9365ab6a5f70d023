package io.piddm.physics.residual;

import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.pde.SampleGenerator;
import io.piddm.physics.solve.DirichletLaplacian;
import java.util.function.UnaryOperator;

/**
 * The scales that make physics terms dimensionless: the rms of a PDE's source f over the nodes a
 * spec evaluates, and the rms of (−Δ_h)⁻¹f, the size of a solution the source drives. Both are
 * taken over a few samples of the PDE's own generator with a fixed seed, so training, export and
 * every evaluator get the same number for the same (PDE, grid, spec).
 */
public final class SourceScales {

  /** Generator samples the scales are averaged over. */
  private static final int SAMPLES = 8;

  private SourceScales() {}

  /** rms(f) over the evaluated nodes, or 1 where the PDE has no source (Burgers). */
  public static double sourceRms(Pde pde, Grid grid, ResidualSpec spec) {
    return rms(pde, grid, spec, f -> f);
  }

  /**
   * rms((−Δ_h)⁻¹f) over the interior nodes, for PDEs with u = 0 on ∂Ω (those with a consistent
   * spec, which covers exactly the nodes the inverse Laplacian acts on).
   */
  public static double solutionRms(Pde pde, Grid grid, ResidualSpec spec) {
    if (!ResidualSpecs.hasConsistent(pde)) {
      throw new IllegalArgumentException(pde.id() + " has no Dirichlet boundary to invert with");
    }
    return rms(pde, grid, spec, DirichletLaplacian.interiorOf(grid)::solve);
  }

  private static double rms(
      Pde pde, Grid grid, ResidualSpec spec, UnaryOperator<double[]> transform) {
    SampleGenerator generator = SampleGenerator.standard(pde, grid);
    double sum = 0;
    long count = 0;
    for (int k = 0; k < SAMPLES; k++) {
      double[] f =
          ArrayEvaluator.source(spec, grid, generator.sample(Long.MAX_VALUE - 1, k).channels())
              .values();
      for (double v : transform.apply(f)) {
        sum += v * v;
      }
      count += f.length;
    }
    double rms = Math.sqrt(sum / count);
    return rms > 0 ? rms : 1;
  }
}
