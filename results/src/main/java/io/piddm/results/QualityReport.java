package io.piddm.results;

import io.piddm.diffusion.eval.ModelEvaluation;
import io.piddm.diffusion.eval.SampleEvaluation;
import io.piddm.inference.eval.ReconstructionEvaluation;
import io.piddm.physics.metrics.SolutionConsistency;
import java.util.List;
import java.util.Map;

/**
 * Everything one quality benchmark measured, as committed next to docs/RESULTS.md: the settings,
 * the seeds, the code version and the machine, and one entry per method, task and training seed.
 * The tables are computed from this and nothing else.
 */
public record QualityReport(
    String pde,
    int resolution,
    String codeVersion,
    Machine machine,
    String finishedAt,
    double wallSeconds,
    Map<String, Object> settings,
    List<Long> seeds,
    double solverSecondsPerField,
    List<SeedResult> perSeed) {

  /**
   * The id of the residual spec every row's PDE error is judged with (the benchmarked students'
   * own); a report whose rows name none or disagree is refused.
   */
  public String residualSpec() {
    java.util.Set<String> specs = new java.util.LinkedHashSet<>();
    for (SeedResult seed : perSeed) {
      for (MethodRow row : seed.methods()) {
        specs.add(row.judgedSpec());
      }
    }
    if (specs.size() != 1 || specs.contains(null)) {
      throw new IllegalStateException(
          pde + " quality report: its rows must all name one judged residual spec, got " + specs);
    }
    return specs.iterator().next();
  }

  /** One training seed: its methods, its downstream tasks and what training cost. */
  public record SeedResult(
      long seed, List<MethodRow> methods, List<TaskRow> tasks, Map<String, Double> costs) {}

  /**
   * One method's unconditional samples against the held-out set.
   *
   * @param solutionConsistency median relative L2 of the generated u to the solver's solution for
   *     the generated a ({@link SolutionConsistency}); NaN where the PDE has none (Burgers)
   * @param solutionConsistencyThresholded the same with Darcy's a thresholded to {3, 12}; NaN for
   *     the other PDEs
   * @param solutionConsistencyFailed samples whose a the solver refused (counted as +∞)
   * @param judgedSpec the id of the residual spec the row's PDE error is judged with: the spec the
   *     benchmarked student was distilled with, for every row of a seed
   */
  public record MethodRow(
      String method,
      String engine,
      String judgedSpec,
      int samples,
      int networkEvaluations,
      double secondsPerSample,
      Map<String, Double> pdeErrorRelative,
      Map<String, Double> mmse,
      Map<String, Double> smse,
      double solutionConsistency,
      double solutionConsistencyThresholded,
      int solutionConsistencyFailed) {

    static MethodRow of(SampleEvaluation.Report report, String method, String engine) {
      SolutionConsistency c = report.solutionConsistency();
      return new MethodRow(
          method,
          engine,
          report.judgedSpec(),
          report.samples(),
          report.networkEvaluations(),
          report.secondsPerSample(),
          report.pdeErrorRelative(),
          report.mmse(),
          report.smse(),
          report.solutionConsistencyMedian(),
          c == null ? Double.NaN : c.thresholdedMedian(),
          c == null ? 0 : c.failed());
    }
  }

  /** One downstream task over held-out fields. */
  public record TaskRow(
      String method,
      String task,
      String observed,
      String estimated,
      int count,
      int networkEvaluations,
      double secondsPerTask,
      double relativeL2,
      Double errorRate,
      int every,
      double[] relativeL2ByStep) {

    static TaskRow of(ModelEvaluation.TaskReport t) {
      return new TaskRow(
          t.method(),
          t.task(),
          t.observed(),
          t.estimated(),
          t.count(),
          t.networkEvaluations(),
          t.secondsPerTask(),
          t.relativeL2Mean(),
          t.errorRateMean(),
          0,
          new double[0]);
    }

    static TaskRow of(ReconstructionEvaluation.TaskReport t, int every) {
      return new TaskRow(
          "piddm-reconstruction",
          t.task(),
          t.observed(),
          t.estimated(),
          t.count(),
          // every evaluation of reconstruct.onnx (an Adam step, an L-BFGS step or a trial of
          // one) runs the student forward and back
          2 * t.steps(),
          t.secondsPerTask(),
          t.relativeL2Mean(),
          t.errorRateMean(),
          every,
          t.relativeL2ByStep());
    }
  }
}
