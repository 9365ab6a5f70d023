package io.piddm.diffusion.edm;

import ai.djl.ndarray.NDArray;
import io.piddm.diffusion.djl.DjlOps;
import io.piddm.diffusion.djl.DjlResidual;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.residual.ResidualSpec;

/**
 * ζ_obs‖(x − x′)⊙M‖ + ζ_pde‖R(x)‖ per sample, summed over the batch, for x in normalised units (the
 * residual is taken of its physical values): the objective DiffusionPDE-style guidance steers by,
 * and the one the data-space baseline minimises directly. Norms, not their squares (as
 * DiffusionPDE): the squared residual's curvature grows like 1/h⁴ and made fixed-size gradient
 * steps diverge near σ_min.
 */
public record GuidanceLoss(
    ResidualSpec spec,
    Grid grid,
    Normalization normalization,
    double zetaObservation,
    double zetaPde) {

  public NDArray of(NDArray x, NDArray observed, NDArray mask) {
    long n = x.getShape().get(0);
    // One norm per sample, summed: samples of a batch must not steer each other.
    NDArray observation =
        x.sub(observed)
            .mul(mask)
            .square()
            .reshape(n, -1)
            .sum(new int[] {1})
            .add(1e-12f)
            .sqrt()
            .sum();
    NDArray loss = DjlOps.times(observation, zetaObservation);
    if (zetaPde > 0) {
      NDArray residual = DjlResidual.residual(spec, grid, normalization.toPhysical(x));
      NDArray perSample =
          residual.square().reshape(n, -1).sum(new int[] {1}).add(1e-12f).sqrt().sum();
      loss = loss.add(DjlOps.times(perSample, zetaPde));
    }
    return loss;
  }
}
