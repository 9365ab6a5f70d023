package io.piddm.pipeline;

import java.util.Map;

/**
 * Where a student came from: the dataset (enough to regenerate it bit for bit; {@code source} is
 * "generated" or the imported file), every setting of the run flattened to text, the code version
 * and the host.
 */
public record Lineage(
    String pde,
    int resolution,
    long datasetCount,
    long datasetSeed,
    String datasetSha256,
    String solver,
    String source,
    String runId,
    Map<String, String> hyperparameters,
    String codeVersion,
    String host) {

  /** The teacher's training phase of the run: {@code <run id>/teacher}. */
  public String teacherRunId() {
    return runId + "/teacher";
  }

  /** The distillation phase of the run that made the student: {@code <run id>/distill}. */
  public String distillationRunId() {
    return runId + "/distill";
  }
}
