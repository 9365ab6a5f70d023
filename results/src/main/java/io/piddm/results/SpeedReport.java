package io.piddm.results;

import java.util.List;
import java.util.Map;

/**
 * The in-process speed measurements of one trained Darcy model, every timing taken in the same
 * process and run as the others so their ratios are side by side; committed as {@code
 * docs/results/speed.json}.
 */
public record SpeedReport(
    String codeVersion,
    Machine machine,
    String finishedAt,
    String models,
    Map<String, Object> settings,
    Latency onnxForward,
    Latency djlStudentForward,
    Latency teacherHeunPerSample,
    Latency onnxReconstructStep,
    List<Generation> generation,
    double[] onnxForwardMillis) {

  /** Milliseconds: median and 99th percentile over {@code runs} timed calls after a warm-up. */
  public record Latency(double p50, double p99, int runs) {}

  /** Data generation on one thread: whole samples and the solve alone, SciPy's solve beside it. */
  public record Generation(
      String pde,
      int resolution,
      double sampleMillis,
      double javaSolveMillis,
      Double scipySolveMillis) {}
}
