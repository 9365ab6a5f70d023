package io.piddm.diffusion.train;

import java.nio.file.Path;

/**
 * Optimiser and schedule settings of a training run. Learning rate warms up linearly over {@code
 * warmupSteps}; gradients are clipped to global norm {@code gradClip}; EMA weights follow with
 * {@code emaDecay}. A checkpoint is written every {@code checkpointEvery} steps and at the end when
 * {@code checkpointDirectory} is set.
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
    Path checkpointDirectory) {

  public TrainSettings {
    if (batchSize < 1
        || steps < 1
        || !(learningRate > 0)
        || warmupSteps < 0
        || !(gradClip > 0)
        || !(emaDecay >= 0 && emaDecay < 1)
        || checkpointEvery < 0) {
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
              + emaDecay);
    }
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
        checkpointDirectory);
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
        checkpointDirectory);
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
        directory);
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
    m.put("seed", seed);
    return m;
  }
}
