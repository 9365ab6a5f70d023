package io.piddm.diffusion.train;

/** Progress of a training run, reported after every step (the trainer service streams these). */
public interface TrainingListener {

  /**
   * @param step steps done so far (1-based)
   * @param skippedSteps steps whose gradient was not finite and were skipped
   */
  void onStep(
      long step,
      long totalSteps,
      double loss,
      double stepsPerSecond,
      double etaSeconds,
      long skippedSteps);

  TrainingListener NONE = (step, total, loss, rate, eta, skipped) -> {};
}
