package io.piddm.pipeline;

import io.piddm.diffusion.eval.ModelEvaluation;
import io.piddm.diffusion.eval.SampleEvaluation;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpecs;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The flat metric names a run publishes in its manifest (and promotion gates compare against), each
 * the mean over the evaluation seeds. Student metrics carry no prefix ({@code pde_error} is the
 * student's relative PDE error under the consistent residual), the teacher's carry {@code
 * teacher_}, the solver's own {@code ground_truth_}. {@code solution_consistency} is the median
 * relative L2 of the generated u to the solver's solution for the generated a (elliptic PDEs).
 */
final class RunMetrics {

  private RunMetrics() {}

  static Map<String, Double> from(
      Pde pde,
      List<ModelEvaluation.Result> teacher,
      List<ModelEvaluation.Result> student,
      Map<String, Double> costs) {
    Map<String, Double> metrics = new LinkedHashMap<>();
    // every PDE error under the spec the student was distilled with, as its evaluation recorded it
    String judged = student.get(0).samples().get(1).judgedSpec();
    put(metrics, "", pde, judged, student, 1);
    put(metrics, "teacher_", pde, judged, teacher, 1);
    put(metrics, "ground_truth_", pde, judged, student, 0);
    metrics.put("pde_error_ratio", metrics.get("teacher_pde_error") / metrics.get("pde_error"));
    metrics.put(
        "speedup_per_sample",
        metrics.get("teacher_seconds_per_sample") / metrics.get("seconds_per_sample"));
    metrics.putAll(costs);
    return metrics;
  }

  /** Report {@code index} of every result (0 is the solver's, 1 the model's), averaged. */
  private static void put(
      Map<String, Double> metrics,
      String prefix,
      Pde pde,
      String judged,
      List<ModelEvaluation.Result> results,
      int index) {
    List<SampleEvaluation.Report> reports =
        results.stream().map(r -> r.samples().get(index)).toList();
    String published = ResidualSpecs.publishedCompatible(pde).id();
    metrics.put(prefix + "pde_error", mean(reports, r -> r.pdeErrorRelative().get(judged)));
    metrics.put(
        prefix + "pde_error_published", mean(reports, r -> r.pdeErrorRelative().get(published)));
    if (index == 0) {
      return;
    }
    if (reports.get(0).solutionConsistency() != null) {
      metrics.put(
          prefix + "solution_consistency",
          mean(reports, SampleEvaluation.Report::solutionConsistencyMedian));
    }
    for (String channel : reports.get(0).mmse().keySet()) {
      metrics.put(prefix + "mmse_" + channel, mean(reports, r -> r.mmse().get(channel)));
      metrics.put(prefix + "smse_" + channel, mean(reports, r -> r.smse().get(channel)));
    }
    metrics.put(prefix + "nfe", mean(reports, r -> (double) r.networkEvaluations()));
    metrics.put(prefix + "seconds_per_sample", mean(reports, r -> r.secondsPerSample()));
  }

  private static double mean(
      List<SampleEvaluation.Report> reports, Function<SampleEvaluation.Report, Double> value) {
    double sum = 0;
    for (SampleEvaluation.Report r : reports) {
      Double v = value.apply(r);
      sum += v == null ? Double.NaN : v;
    }
    return sum / reports.size();
  }
}
