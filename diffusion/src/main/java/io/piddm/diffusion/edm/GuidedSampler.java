package io.piddm.diffusion.edm;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.residual.ResidualSpec;
import java.util.function.Function;

/**
 * DiffusionPDE-style guided sampling with the teacher, the baseline PIDDM is compared with. Each
 * Heun step of the probability-flow ODE is followed by a gradient step on x_t against
 *
 * <pre>
 *   L_obs = ‖(x̂0 − x′) ⊙ M‖₂  (normalised units)      L_pde = ‖R(x̂0)‖₂  (physical units)
 *   x̂0 = D(x_t; σ_t),   x_{t+1} ← x_{t+1} − ζ_obs ∇_{x_t} L_obs − ζ_pde ∇_{x_t} L_pde
 * </pre>
 *
 * with gradients through the network by DJL autograd. Each sample's guidance step is capped at an
 * rms of 0.5 σ_t per pixel (a trust region): with fixed weights and 200 rather than DiffusionPDE's
 * 2000 steps, uncapped steps diverged at small σ on 32² Darcy. Weights and step counts are settings
 * (the DiffusionPDE papers use thousands of steps; {@link Settings#standard()} is this project's
 * default, not theirs).
 */
public final class GuidedSampler {

  /** Guidance weights and step count. */
  public record Settings(int steps, double zetaObservation, double zetaPde) {
    public Settings {
      if (steps < 1 || zetaObservation < 0 || zetaPde < 0) {
        throw new IllegalArgumentException(
            "guidance: steps ≥ 1 and non-negative weights, got "
                + steps
                + ", "
                + zetaObservation
                + ", "
                + zetaPde);
      }
    }

    public static Settings standard() {
      return new Settings(200, 50, 1e-4);
    }
  }

  private final Edm edm;
  private final Settings settings;
  private final GuidanceLoss loss;
  private long skippedGuidance;

  /** Largest guidance step as a fraction of the current σ (rms per pixel). */
  static final double TRUST = 0.5;

  public GuidedSampler(
      Edm edm, Normalization normalization, ResidualSpec spec, Grid grid, Settings settings) {
    this.edm = edm;
    this.settings = settings;
    this.loss =
        new GuidanceLoss(spec, grid, normalization, settings.zetaObservation(), settings.zetaPde());
  }

  /** Guidance steps skipped because their gradient was not finite, since construction. */
  public long skippedGuidanceSteps() {
    return skippedGuidance;
  }

  public int networkEvaluations() {
    return 2 * settings.steps() - 1;
  }

  /**
   * Samples from ε [N, C, S, S] conditioned on observations x′ (normalised units, same shape) where
   * the mask M (same shape, 0/1) is 1.
   */
  public NDArray sample(
      Function<String, NDArray> parameters, NDArray epsilon, NDArray observed, NDArray mask) {
    double[] t = HeunSampler.schedule(settings.steps());
    NDManager parent = epsilon.getManager();
    long n = epsilon.getShape().get(0);
    NDArray x = epsilon.mul(t[0]);
    for (int i = 0; i < settings.steps(); i++) {
      try (NDManager scope = parent.newSubManager()) {
        x.attach(scope);
        NDArray guidance;
        NDArray denoised;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          x.setRequiresGradient(true);
          denoised = edm.denoise(parameters, x, scope.full(new Shape(n), (float) t[i]));
          NDArray loss = guidanceLoss(denoised, observed, mask);
          collector.backward(loss);
        }
        guidance = x.getGradient();
        guidance.attach(scope);
        if (!Float.isFinite(guidance.abs().max().getFloat())) {
          // A non-finite gradient must not poison the sample: skip this step's
          // guidance and count it.
          skippedGuidance++;
          guidance = guidance.zerosLike();
        }
        NDArray plain = x.stopGradient();
        NDArray d = plain.sub(denoised.stopGradient()).div(t[i]);
        NDArray next = plain.add(d.mul(t[i + 1] - t[i]));
        if (t[i + 1] > 0) {
          NDArray s = scope.full(new Shape(n), (float) t[i + 1]);
          NDArray d2 = next.sub(edm.denoise(parameters, next, s)).div(t[i + 1]);
          next = plain.add(d.add(d2).mul(0.5 * (t[i + 1] - t[i])));
        }
        // Trust region: a guidance step moves no sample further (rms per pixel) than a fraction
        // of the current noise level. Without it, fixed-weight steps on the residual (whose
        // curvature grows like 1/h²) diverged at small σ on 32² Darcy.
        NDArray rms = guidance.square().reshape(n, -1).mean(new int[] {1}).sqrt();
        double cap = TRUST * t[i];
        guidance =
            guidance.mul(rms.add(1e-30f).pow(-1).mul((float) cap).minimum(1f).reshape(n, 1, 1, 1));
        next = next.sub(guidance);
        next.attach(parent);
        x = next;
      }
    }
    return x;
  }

  /**
   * ζ_obs‖(x̂0 − x′)⊙M‖ + ζ_pde‖R(x̂0)‖ per sample, summed over the batch: the objective whose
   * gradient with respect to x_t steers each step.
   */
  public NDArray guidanceLoss(NDArray denoised, NDArray observed, NDArray mask) {
    return loss.of(denoised, observed, mask);
  }
}
