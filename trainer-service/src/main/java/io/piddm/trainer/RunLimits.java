package io.piddm.trainer;

/**
 * Upper bounds on every count, size, step and batch field of a RunSpec, checked before any
 * arithmetic on it: a value past its bound is INVALID_ARGUMENT naming the field, the limit and the
 * setting that raises it (README.md, "Limits"). One bound per kind of quantity, so the table stays
 * short and no field is forgotten.
 *
 * @param fields dataset.count, dataset.held_out_count, pair_bank.size, evaluation.samples
 * @param steps teacher and student steps, warm-up steps, checkpoint intervals, pair refresh
 *     interval
 * @param batch teacher.batch_size, student.batch_size
 * @param samplerSteps teacher.sampler_steps, pair_bank.teacher_steps
 * @param resolution the grid size S of S×S fields
 * @param threads threads
 * @param seeds evaluation.seeds entries
 */
record RunLimits(
    long fields,
    long steps,
    long batch,
    long samplerSteps,
    long resolution,
    long threads,
    long seeds) {

  RunLimits {
    for (long bound : new long[] {fields, steps, batch, samplerSteps, resolution, threads, seeds}) {
      if (bound < 1 || bound > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            "piddm.trainer.limits: every limit must be in [1, "
                + Integer.MAX_VALUE
                + "], got "
                + bound);
      }
    }
  }

  static RunLimits of(TrainerConfig.Limits config) {
    return new RunLimits(
        config.maxFields(),
        config.maxSteps(),
        config.maxBatch(),
        config.maxSamplerSteps(),
        config.maxResolution(),
        config.maxThreads(),
        config.maxSeeds());
  }

  /**
   * {@code value} itself when it is within [0, limit]; a negative value or one past the limit is an
   * IllegalArgumentException naming the field (zero stays "the profile's default").
   */
  static long within(long value, long limit, String field, String setting) {
    if (value < 0) {
      throw new IllegalArgumentException(field + " must be positive, got " + value);
    }
    if (value > limit) {
      throw new IllegalArgumentException(
          field
              + " is "
              + value
              + ", past this trainer's limit of "
              + limit
              + " (piddm.trainer.limits."
              + setting
              + ")");
    }
    return value;
  }
}
