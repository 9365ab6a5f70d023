package io.piddm.diffusion.distill;

/**
 * Settings of the PIDDM distillation step: a bank of {@code bankSize} (ε, x0) pairs from the
 * teacher's Heun ODE with {@code teacherSteps} steps; every {@code refreshEvery} student steps a
 * {@code refreshFraction} of the bank is replaced by new pairs (0 or {@code refreshEvery} = 0: a
 * fixed bank); {@code lambdaTrain} weighs the residual term (0 = pure distillation).
 */
public record DistillSettings(
    int bankSize,
    int teacherSteps,
    long refreshEvery,
    double refreshFraction,
    double lambdaTrain,
    int generationBatch) {

  public DistillSettings {
    if (bankSize < 1
        || teacherSteps < 1
        || refreshEvery < 0
        || !(refreshFraction >= 0 && refreshFraction <= 1)
        || !(lambdaTrain >= 0)
        || !Double.isFinite(lambdaTrain)
        || generationBatch < 1) {
      throw new IllegalArgumentException(
          "invalid distillation settings: bank "
              + bankSize
              + ", teacher steps "
              + teacherSteps
              + ", refresh every "
              + refreshEvery
              + " steps by "
              + refreshFraction
              + ", λ_train "
              + lambdaTrain
              + ", generation batch "
              + generationBatch);
    }
  }

  /** Pairs replaced at each refresh. */
  public int refreshCount() {
    return refreshEvery == 0 ? 0 : (int) Math.round(refreshFraction * bankSize);
  }
}
