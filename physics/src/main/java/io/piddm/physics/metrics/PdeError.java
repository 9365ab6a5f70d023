package io.piddm.physics.metrics;

import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.residual.ArrayEvaluator;
import io.piddm.physics.residual.ResidualSpec;
import java.util.List;

/**
 * The PDE error of one joint field under a residual spec, in float64: {@code absolute} is the mean
 * of R² over the evaluated nodes, {@code relative} is ‖R‖₂ / ‖f‖₂ over the same nodes. Where the
 * spec has boundary rows (the consistent specs of the Dirichlet PDEs) the nodes of ∂Ω count too, so
 * a field scores zero only if it solves the boundary value problem, not just its interior equation.
 */
public record PdeError(double absolute, double relative) {

  public static PdeError of(ResidualSpec spec, Grid grid, List<Field> channels) {
    double[] r = ArrayEvaluator.residual(spec, grid, channels).values();
    double[] f = ArrayEvaluator.source(spec, grid, channels).values();
    double sumR2 = 0;
    double sumF2 = 0;
    for (int k = 0; k < r.length; k++) {
      sumR2 += r[k] * r[k];
      sumF2 += f[k] * f[k];
    }
    double[] rb = ArrayEvaluator.boundary(spec, grid, channels);
    double[] fb = ArrayEvaluator.boundarySource(spec, grid, channels);
    for (int k = 0; k < rb.length; k++) {
      sumR2 += rb[k] * rb[k];
      sumF2 += fb[k] * fb[k];
    }
    double relative = sumF2 == 0 ? Double.NaN : Math.sqrt(sumR2 / sumF2);
    return new PdeError(sumR2 / (r.length + rb.length), relative);
  }
}
