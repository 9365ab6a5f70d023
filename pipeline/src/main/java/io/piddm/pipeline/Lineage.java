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
    String host) {}
