package io.piddm.diffusion.train;

import java.nio.file.Path;

/**
 * Optimiser and schedule settings of a training run. Learning rate warms up linearly over {@code
 * warmupSteps}, then follows a cosine from its full value down to {@code finalLearningRateFraction}
 * of it at the last step (1: constant, the earlier behaviour); gradients are clipped to global norm
 * {@code gradClip}; EMA weights follow with {@code emaDecay}. A checkpoint is written every {@code
 * checkpointEvery} steps and at the end when {@code checkpointDirectory} is set.
 */
public record TrainSettings(
    int batchSize,
    long steps,
    double learningRate,
    long warmupSteps,
    double gradClip,
    double emaDecay,
    long seed,
    long checkpointEvery,
    Path checkpointDirectory,
    double finalLearningRateFraction) {

  public TrainSettings {
    if (batchSize < 1
        || steps < 1
        || !(learningRate > 0)
        || warmupSteps < 0
        || !(gradClip > 0)
        || !(emaDecay >= 0 && emaDecay < 1)
        || checkpointEvery < 0
        || !(finalLearningRateFraction > 0 && finalLearningRateFraction <= 1)) {
      throw new IllegalArgumentException(
          "invalid training settings: batch "
              + batchSize
              + ", steps "
              + steps
              + ", lr "
              + learningRate
              + ", warmup "
              + warmupSteps
              + ", clip "
              + gradClip
              + ", ema "
              + emaDecay
              + ", final lr fraction "
              + finalLearningRateFraction);
    }
  }

  /** Settings with a constant learning rate after the warm-up. */
  public TrainSettings(
      int batchSize,
      long steps,
      double learningRate,
      long warmupSteps,
      double gradClip,
      double emaDecay,
      long seed,
      long checkpointEvery,
      Path checkpointDirectory) {
    this(
        batchSize,
        steps,
        learningRate,
        warmupSteps,
        gradClip,
        emaDecay,
        seed,
        checkpointEvery,
        checkpointDirectory,
        1);
  }

  /** The learning rate of step t (1-based): linear warm-up, then the cosine decay. */
  public double learningRateAt(long t) {
    double warm = Math.min(1, t / (double) Math.max(1, warmupSteps));
    if (finalLearningRateFraction == 1 || t <= warmupSteps) {
      return learningRate * warm;
    }
    double progress = Math.min(1, (t - warmupSteps) / (double) Math.max(1, steps - warmupSteps));
    double cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
    return learningRate * (finalLearningRateFraction + (1 - finalLearningRateFraction) * cosine);
  }

  public TrainSettings withSteps(long newSteps) {
    return new TrainSettings(
        batchSize,
        newSteps,
        learningRate,
        warmupSteps,
        gradClip,
        emaDecay,
        seed,
        checkpointEvery,
        checkpointDirectory,
        finalLearningRateFraction);
  }

  public TrainSettings withSeed(long newSeed) {
    return new TrainSettings(
        batchSize,
        steps,
        learningRate,
        warmupSteps,
        gradClip,
        emaDecay,
        newSeed,
        checkpointEvery,
        checkpointDirectory,
        finalLearningRateFraction);
  }

  public TrainSettings withCheckpointDirectory(Path directory) {
    return new TrainSettings(
        batchSize,
        steps,
        learningRate,
        warmupSteps,
        gradClip,
        emaDecay,
        seed,
        checkpointEvery,
        directory,
        finalLearningRateFraction);
  }

  /** The settings as a flat map for model cards and lineage (the checkpoint folder left out). */
  public java.util.Map<String, Object> describe() {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("batchSize", batchSize);
    m.put("steps", steps);
    m.put("learningRate", learningRate);
    m.put("warmupSteps", warmupSteps);
    m.put("gradClip", gradClip);
    m.put("emaDecay", emaDecay);
    m.put("finalLearningRateFraction", finalLearningRateFraction);
    m.put("seed", seed);
    return m;
  }
}
