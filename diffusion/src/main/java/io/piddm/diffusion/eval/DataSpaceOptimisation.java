package io.piddm.diffusion.eval;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.piddm.diffusion.djl.DjlOps;
import io.piddm.diffusion.edm.GuidanceLoss;
import io.piddm.diffusion.net.OutputConstraint;

/**
 * The downstream tasks' baseline without a model: Adam directly on the field values, minimising the
 * guided teacher's objective ({@link GuidanceLoss}: observation misfit plus PDE residual) from the
 * observations with the unobserved values at their mean, projected onto the PDE's field constraints
 * (boundary values, coefficient range) after every step as the models' outputs are. What a model
 * buys is measured against this.
 */
public final class DataSpaceOptimisation {

  /** Adam steps and learning rate (normalised units per step). */
  public record Settings(int steps, double learningRate) {
    public Settings {
      if (steps < 1 || !(learningRate > 0)) {
        throw new IllegalArgumentException(
            "data-space optimisation: steps ≥ 1 and a positive learning rate, got "
                + steps
                + ", "
                + learningRate);
      }
    }
  }

  private static final float BETA1 = 0.9f;
  private static final float BETA2 = 0.999f;
  private static final float EPSILON = 1e-8f;

  private DataSpaceOptimisation() {}

  /**
   * Fields [N, C, S, S] (normalised) that minimise {@code loss} for {@code observed} where {@code
   * mask} is 1, starting from the observations and 0 (the channel means) elsewhere.
   */
  public static NDArray optimise(
      GuidanceLoss loss,
      NDArray observed,
      NDArray mask,
      Settings settings,
      OutputConstraint constraint) {
    NDManager parent = observed.getManager();
    DjlOps ops = new DjlOps();
    NDArray x = constraint.apply(ops, observed.mul(mask));
    NDArray m = x.zerosLike();
    NDArray v = x.zerosLike();
    for (int step = 1; step <= settings.steps(); step++) {
      try (NDManager scope = parent.newSubManager()) {
        x.attach(scope);
        m.attach(scope);
        v.attach(scope);
        NDArray gradient;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          x.setRequiresGradient(true);
          collector.backward(loss.of(x, observed, mask));
        }
        gradient = x.getGradient();
        NDArray plain = x.stopGradient();
        NDArray nextM = m.mul(BETA1).add(gradient.mul(1 - BETA1));
        NDArray nextV = v.mul(BETA2).add(gradient.square().mul(1 - BETA2));
        double correction1 = 1 - Math.pow(BETA1, step);
        double correction2 = 1 - Math.pow(BETA2, step);
        NDArray update =
            nextM
                .div((float) correction1)
                .div(nextV.div((float) correction2).sqrt().add(EPSILON))
                .mul((float) settings.learningRate());
        NDArray next = constraint.apply(ops, plain.sub(update));
        next.attach(parent);
        nextM.attach(parent);
        nextV.attach(parent);
        x = next;
        m = nextM;
        v = nextV;
      }
    }
    return x;
  }
}
