package io.piddm.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.piddm.diffusion.distill.DistillSettings;
import io.piddm.diffusion.edm.GuidedSampler;
import io.piddm.diffusion.eval.DataSpaceOptimisation;
import io.piddm.diffusion.eval.SampleEvaluation;
import io.piddm.diffusion.train.TrainSettings;
import io.piddm.inference.StudentModel;
import io.piddm.inference.eval.ReconstructionEvaluation;
import io.piddm.physics.dataset.DatasetGenerator;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpecs;
import io.piddm.pipeline.RunLayout;
import io.piddm.pipeline.RunListener;
import io.piddm.pipeline.RunPlan;
import io.piddm.results.QualityReport.TaskRow;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jetbrains.bio.npy.NpyArray;
import org.jetbrains.bio.npy.NpyFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole benchmark at 16² with a tiny net, two seeds and a few real DJL steps per phase. */
class QualityBenchTest {

  @TempDir Path dir;

  static QualitySettings tiny() {
    return tiny(Pde.DARCY, List.of(1L, 2L));
  }

  static QualitySettings tiny(Pde pde, List<Long> seeds) {
    RunPlan base =
        new RunPlan(
            pde,
            16,
            "test",
            new RunPlan.Dataset(12, 1, 4, 2),
            new RunPlan.Teacher("tiny", new TrainSettings(4, 6, 1e-3, 2, 1.0, 0.9, 1, 3, null), 2),
            new DistillSettings(4, 2, 0, 0.0, 0.1, 4),
            new TrainSettings(4, 4, 1e-3, 1, 1.0, 0.9, 1, 2, null),
            new RunPlan.Evaluation(2, List.of(3L)),
            new RunPlan.Publish("", "", true, Map.of()),
            1);
    return new QualitySettings(
        base,
        seeds,
        1000,
        4,
        3,
        7,
        new GuidedSampler.Settings(2, 50, 1e-4),
        1,
        new DataSpaceOptimisation.Settings(3, 0.05),
        List.of(1, 3),
        new QualitySettings.Refinement(0.05, 1, StudentModel.REF_SOLUTION_WEIGHT, 1),
        new ReconstructionEvaluation.Settings(1, 4, 1.0, 1e-6, 1, 0.25, 2, 3),
        new ReconstructionEvaluation.Settings(1, 4, 0.05, 1, 1e-3, 0.25, 2, 3),
        new ReconstructionEvaluation.Settings(1, 4, 0.05, 1, 1e-3, 0.25, 2, 3),
        1);
  }

  @Test
  void burgersRunsItsOwnTasksThroughEveryMethod() throws Exception {
    QualityBench bench =
        new QualityBench(
            tiny(Pde.BURGERS, List.of(4L)), dir.resolve("work"), RunListener.NONE, line -> {});
    QualityReport report = bench.run();

    QualityReport.SeedResult seed = report.perSeed().get(0);
    assertThat(seed.methods()).hasSize(8);
    // an initial value problem: no boundary value problem to solve for the generated fields
    assertThat(seed.methods()).allSatisfy(m -> assertThat(m.solutionConsistency()).isNaN());
    assertThat(seed.tasks())
        .extracting(t -> t.method() + "/" + t.task() + "/" + t.observed() + " → " + t.estimated())
        .containsExactly(
            "teacher-guided/forward/u at t = 0 → u at t > 0",
            "teacher-guided/inverse/u at t = 1 → u at t = 0",
            "teacher-guided/sparse/25% of points of [u] → u",
            "data-space/forward/u at t = 0 → u at t > 0",
            "data-space/inverse/u at t = 1 → u at t = 0",
            "data-space/sparse/25% of points of [u] → u",
            "piddm-reconstruction/forward/u at t = 0 → u at t > 0",
            "piddm-reconstruction/inverse/u at t = 1 → u at t = 0",
            "piddm-reconstruction/sparse/25% of points of [u] → u");
    assertThat(seed.tasks())
        .allSatisfy(
            t -> {
              assertThat(t.relativeL2()).as(t.method() + " " + t.task()).isFinite().isPositive();
              assertThat(t.errorRate()).isNull();
            });
    // no stencil on the stored grid is Burgers' solver's own: judged with its training spec
    String text =
        Files.readString(
            ResultsDocument.write(report, bench::seedDir, dir.resolve("docs")),
            StandardCharsets.UTF_8);
    assertThat(text)
        .contains("## Burgers 16² — `test` profile, 1 training seed [4]")
        .contains(
            "| PDE error (`burgers/conservative-central`) | PDE error (published-compatible) |"
                + " MMSE u |")
        .contains("| teacher / student PDE error (≥ 3) | MMSE u / teacher's | SMSE u / teacher's |")
        .doesNotContain("u vs solver")
        .doesNotContain("### Verdict: solution consistency")
        .contains("| piddm-reconstruction | inverse | u at t = 1 → u at t = 0 |");
  }

  @Test
  void everyMethodAndTaskPerSeedThenTheDocumentFromTheJson() throws Exception {
    List<String> log = new ArrayList<>();
    QualitySettings settings = tiny();
    QualityReport report =
        new QualityBench(settings, dir.resolve("work"), RunListener.NONE, log::add).run();

    assertThat(report.seeds()).containsExactly(1L, 2L);
    assertThat(report.solverSecondsPerField()).isPositive();
    for (QualityReport.SeedResult seed : report.perSeed()) {
      assertThat(seed.methods())
          .extracting(QualityReport.MethodRow::method)
          .containsExactly(
              "ground-truth",
              "reference-set",
              "teacher-heun2",
              "teacher-guided",
              "piddm-lambda0",
              "piddm-1",
              "piddm-ref-1",
              "piddm-ref-3");
      assertThat(seed.methods())
          .allSatisfy(
              m ->
                  assertThat(m.pdeErrorRelative())
                      .containsKeys(
                          ResidualSpecs.consistent(Pde.DARCY).id(),
                          ResidualSpecs.publishedCompatible(Pde.DARCY).id()));
      assertThat(seed.methods().get(0).mmse().get("a")).isZero();
      // every method scored on as many samples as the second solver set holds; the ground truth
      // is the held-out set itself
      assertThat(seed.methods().get(0).samples()).isEqualTo(settings.heldOutCount());
      assertThat(seed.methods().subList(1, seed.methods().size()))
          .allSatisfy(m -> assertThat(m.samples()).as(m.method()).isEqualTo(settings.samples()));
      assertThat(seed.methods().get(1))
          .satisfies(
              m -> {
                assertThat(m.method()).isEqualTo("reference-set");
                assertThat(m.engine()).isEqualTo("solver");
                assertThat(m.mmse().get("a")).isPositive();
              });
      // Darcy: u against the solver's solution for the generated a, plain and thresholded
      assertThat(seed.methods())
          .allSatisfy(
              m -> {
                assertThat(m.solutionConsistency()).as(m.method()).isNotNaN().isNotNegative();
                assertThat(m.solutionConsistencyThresholded()).as(m.method()).isNotNaN();
                assertThat(m.solutionConsistencyFailed()).isBetween(0, m.samples());
              });
      assertThat(seed.methods().get(0).solutionConsistency()).isLessThan(1e-3);
      assertThat(seed.methods().get(1).solutionConsistency()).isLessThan(1e-3);
      assertThat(seed.tasks())
          .extracting(t -> t.method() + "/" + t.task() + "/" + t.estimated())
          .containsExactly(
              "teacher-guided/forward+bc/u",
              "teacher-guided/inverse/a",
              "teacher-guided/sparse/a",
              "teacher-guided/sparse/u",
              "data-space/forward+bc/u",
              "data-space/inverse/a",
              "data-space/sparse/a",
              "data-space/sparse/u",
              "piddm-reconstruction/forward+bc/u",
              "piddm-reconstruction/inverse/a",
              "piddm-reconstruction/sparse/a",
              "piddm-reconstruction/sparse/u");
      // every method is given the same observations of each task
      assertThat(
              seed.tasks().stream()
                  .collect(
                      Collectors.groupingBy(
                          TaskRow::task,
                          Collectors.mapping(TaskRow::observed, Collectors.toSet()))))
          .allSatisfy((task, observed) -> assertThat(observed).as(task).hasSize(1));
      assertThat(seed.costs().get("teacher_training_seconds")).isPositive();
    }
    // different seeds train different models
    assertThat(report.perSeed().get(0).methods().get(5).method()).isEqualTo("piddm-1");
    assertThat(report.perSeed().get(0).methods().get(5).pdeErrorRelative())
        .isNotEqualTo(report.perSeed().get(1).methods().get(5).pdeErrorRelative());

    // the first seed's samples as arrays: N×C×S×S, as many as were scored up to 16
    QualityBench bench0 =
        new QualityBench(settings, dir.resolve("work"), RunListener.NONE, log::add);
    float[] heldOut =
        NpyFile.read(
                new RunLayout(bench0.seedDir(1)).heldOutData().resolve(DatasetGenerator.FIELDS),
                Integer.MAX_VALUE)
            .asFloatArray();
    for (String method : List.of("teacher-heun2", "piddm-1", "piddm-ref-3")) {
      Path npy = bench0.seedDir(1).resolve(QualityBench.SAMPLES).resolve(method + ".npy");
      NpyArray array = NpyFile.read(npy, Integer.MAX_VALUE);
      assertThat(array.getShape()).as(method).containsExactly(3, 2, 16, 16);
      // the very samples the row scored (here all 3): judged again, the same numbers
      SampleEvaluation.Report again =
          SampleEvaluation.evaluate(
              method,
              ResidualSpecs.byId(report.residualSpec()),
              new Grid(16),
              SampleEvaluation.fields(array.asFloatArray(), 3, 2, 16),
              SampleEvaluation.fields(heldOut, settings.heldOutCount(), 2, 16),
              0,
              0,
              0);
      assertThat(again.pdeErrorRelative())
          .as(method)
          .isEqualTo(
              report.perSeed().get(0).methods().stream()
                  .filter(m -> m.method().equals(method))
                  .findFirst()
                  .orElseThrow()
                  .pdeErrorRelative());
    }
    assertThat(bench0.seedDir(2).resolve(QualityBench.SAMPLES)).doesNotExist();

    Path docs = dir.resolve("docs");
    Path md =
        ResultsDocument.write(
            report,
            new QualityBench(settings, dir.resolve("work"), RunListener.NONE, log::add)::seedDir,
            docs);
    String text = Files.readString(md, StandardCharsets.UTF_8);
    assertThat(text)
        .contains("## Darcy 16² — `test` profile, 2 training seeds [1, 2]")
        .contains("| PIDDM-1 | DJL | 3 | 1 |")
        .contains("| PIDDM-ref (k = 3) | ONNX Runtime | 3 | 7 |")
        .contains("| second solver set (finite-sample floor) | solver | 3 | – |")
        .contains(
            "| u vs solver (median rel. L2) | u vs solver, a thresholded to {3, 12} (median rel."
                + " L2) | MMSE a |")
        .contains("### Verdict: the target")
        .contains("| PIDDM-1 | 1 |")
        .contains("| PIDDM, λ_train = 0 | 2 |")
        .contains("### Verdict: solution consistency")
        .contains("(results/samples/darcy16-test-piddm-1.npy)")
        .contains("| piddm-reconstruction | sparse |")
        .contains(" ± ")
        .contains("results/figures/darcy16-test-pde-error-vs-nfe.png")
        .contains("### Loss traces: convergence per seed")
        .contains("| teacher | 2 |")
        .contains("| PIDDM-1 | 1 |")
        .contains("results/figures/darcy16-test-student-loss.png");
    for (long seed : List.of(1L, 2L)) {
      for (String run : List.of("teacher", "piddm-1", "lambda0")) {
        assertThat(docs.resolve("results/traces/darcy16-test-seed-" + seed + "-" + run + ".csv"))
            .isNotEmptyFile();
      }
    }
    assertThat(text.lines().filter(l -> l.startsWith("| ground truth (solver) |")).findFirst())
        .hasValueSatisfying(l -> assertThat(l).endsWith("| – | – | – | – |"));
    assertThat(docs.resolve("results/samples/darcy16-test-piddm-ref-3.npy")).isNotEmptyFile();
    assertThat(docs.resolve("results/quality-darcy16-test.json")).isNotEmptyFile();
    Path figures = docs.resolve("results").resolve("figures");
    for (String png :
        List.of(
            "darcy16-test-pde-error-vs-nfe.png",
            "darcy16-test-reconstruction-error.png",
            "darcy16-test-piddm-1.png",
            "darcy16-test-ground-truth.png",
            "darcy16-test-teacher-loss.png",
            "darcy16-test-student-loss.png")) {
      assertThat(figures.resolve(png)).isNotEmptyFile();
    }

    // the speed section: the same trained run timed in process, rendered beside the tables
    QualityBench bench =
        new QualityBench(settings, dir.resolve("work"), RunListener.NONE, log::add);
    RunLayout run = new RunLayout(bench.seedDir(1));
    SpeedReport speed =
        SpeedBench.run(
            run.teacherDir(),
            run.studentDir(),
            run.exportDir(),
            2,
            new SpeedBench.Settings(5, 2, List.of(16), 2, 2),
            Path.of(".."));
    assertThat(speed.onnxForward().p50()).isPositive();
    // timings only need to exist here; which is faster is the speed benchmark's verdict, not a
    // unit test's on a shared machine (a loaded CI runner once timed the teacher below the student)
    assertThat(speed.teacherHeunPerSample().p50()).isPositive();
    assertThat(speed.djlStudentForward().p50()).isPositive();
    assertThat(speed.onnxForwardMillis()).hasSize(5);
    assertThat(speed.generation())
        .singleElement()
        .satisfies(g -> assertThat(g.resolution()).isEqualTo(16));
    String withSpeed = Files.readString(ResultsDocument.write(speed, docs), StandardCharsets.UTF_8);
    assertThat(withSpeed)
        .startsWith(text)
        .contains("## Speed (in process)")
        .contains("| PIDDM-1 student, ONNX Runtime forward |")
        .contains("| darcy | 16² |");
    assertThat(figures.resolve("speed-onnx-latency.png")).isNotEmptyFile();
    text = withSpeed;

    // a second run finds every seed measured and rewrites the same document from the JSON alone
    log.clear();
    new QualityBench(settings, dir.resolve("work"), RunListener.NONE, log::add).run();
    assertThat(log).containsExactly("seed 1: already measured", "seed 2: already measured");
    Files.delete(md);
    // a superseded report is kept beside, never rendered
    Path superseded = docs.resolve("results/superseded");
    Files.createDirectories(superseded);
    Files.copy(
        docs.resolve("results/quality-darcy16-test.json"),
        superseded.resolve("quality-darcy16-test.json"));
    ResultsDocument.render(docs);
    assertThat(Files.readString(md, StandardCharsets.UTF_8)).isEqualTo(text);

    // one-off experiments beside the tables are linked by their README's title
    Path sweep = docs.resolve("results/sweeps/darcy16-lambda");
    Files.createDirectories(sweep);
    Files.writeString(sweep.resolve("README.md"), "# Darcy 16²: λ sweep\n\nbody\n");
    assertThat(Files.readString(ResultsDocument.render(docs), StandardCharsets.UTF_8))
        .startsWith(text)
        .endsWith(
            "## Further experiments\n\n"
                + "- [Darcy 16²: λ sweep](results/sweeps/darcy16-lambda/README.md)\n\n");
  }

  /** A Darcy row with the given PDE error, every channel's MMSE and SMSE, and consistency. */
  private static QualityReport.MethodRow row(
      String method, double pdeError, double mmse, double smseU, double consistency) {
    return new QualityReport.MethodRow(
        method,
        "DJL",
        ResidualSpecs.training(Pde.DARCY).id(),
        32,
        1,
        0.01,
        Map.of(ResidualSpecs.training(Pde.DARCY).id(), pdeError),
        Map.of("a", mmse, "u", mmse),
        Map.of("a", 0.1, "u", smseU),
        consistency,
        Double.NaN,
        0);
  }

  /** Two seeds whose teacher has PDE error 1, MMSE 0.1, SMSE 0.1 and consistency 0.1. */
  private static QualityReport handMade(double studentError, double smseU, double refConsistency) {
    List<QualityReport.SeedResult> seeds = new ArrayList<>();
    for (long seed : List.of(1L, 2L)) {
      seeds.add(
          new QualityReport.SeedResult(
              seed,
              List.of(
                  row("teacher-heun18", 1, 0.1, 0.1, 0.1),
                  row("piddm-lambda0", 0.5, 0.1, 0.1, 0.08),
                  row("piddm-1", studentError, 0.12, smseU, 0.04),
                  row("piddm-ref-2", studentError / 2, 0.12, smseU, 0.03),
                  row("piddm-ref-32", studentError / 4, 0.12, smseU, refConsistency)),
              List.of(),
              Map.of()));
    }
    return new QualityReport(
        "darcy",
        32,
        "abc1234",
        null,
        "",
        0,
        Map.of("profile", "standard"),
        List.of(1L, 2L),
        0.1,
        seeds);
  }

  @Test
  void aReportIsJudgedWithTheSpecItsRowsRecordAndRefusesRowsThatDisagree() {
    QualityReport report = handMade(0.05, 0.16, 0.01);
    assertThat(report.residualSpec()).isEqualTo("darcy/consistent-fv5-harmonic");

    QualityReport.MethodRow other = report.perSeed().get(1).methods().get(0);
    List<QualityReport.MethodRow> mixed = new ArrayList<>(report.perSeed().get(1).methods());
    mixed.set(
        0,
        new QualityReport.MethodRow(
            other.method(),
            other.engine(),
            "darcy/published-central-flux",
            other.samples(),
            other.networkEvaluations(),
            other.secondsPerSample(),
            other.pdeErrorRelative(),
            other.mmse(),
            other.smse(),
            other.solutionConsistency(),
            other.solutionConsistencyThresholded(),
            other.solutionConsistencyFailed()));
    QualityReport disagreeing =
        new QualityReport(
            report.pde(),
            report.resolution(),
            report.codeVersion(),
            report.machine(),
            report.finishedAt(),
            report.wallSeconds(),
            report.settings(),
            report.seeds(),
            report.solverSecondsPerField(),
            List.of(
                report.perSeed().get(0),
                new QualityReport.SeedResult(2, mixed, List.of(), Map.of())));
    assertThatThrownBy(disagreeing::residualSpec)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("darcy/published-central-flux");
  }

  @Test
  void theTargetIsNotMetWhenOneChannelsSmseIsAboveOneAndAHalfTimesTheTeachers() {
    String verdict = ResultsDocument.verdict(handMade(0.05, 0.16, 0.01));

    assertThat(verdict)
        .contains("**PIDDM-1: not met** on the mean over 2 seeds (0 of 2 meet it individually)")
        .contains("the teacher's PDE error is 20.0× the student's (≥ 10×)")
        .contains("SMSE u is 1.60× the teacher's, 6.67% over the 1.5× limit")
        .doesNotContain("SMSE a is")
        .contains("| PIDDM-1 | 1 | 20.0 | 1.20 | 1.00 | 1.20 | 1.60 | no |")
        .contains("For comparison, **PIDDM, λ_train = 0: not met**")
        .contains("short of 10× by a factor 5.00");
  }

  @Test
  void theTargetIsMetWhenThePdeErrorIsTenTimesLowerAndEveryRatioAtMostOneAndAHalf() {
    String verdict = ResultsDocument.verdict(handMade(0.1, 0.15, 0.01));

    assertThat(verdict)
        .contains("**PIDDM-1: met** on the mean over 2 seeds (2 of 2 meet it individually)")
        .contains("the teacher's PDE error is 10.0× the student's (≥ 10×)")
        .contains("MMSE and SMSE of every channel at most 1.50× the teacher's (≤ 1.5×)")
        .contains("| **PIDDM-1** | mean | **10.0 ± 0** |");
  }

  @Test
  void solutionConsistencyJudgesPiddm1AndTheLargestKOfPiddmRef() {
    assertThat(ResultsDocument.consistencyVerdict(handMade(0.1, 0.15, 0.03)))
        .contains("| PIDDM-ref (k = 2) | 0.0300 | 0.0300 | 0.0300 ± 0 | – | – |")
        .contains("| teacher, Heun 18 steps | 0.100 | 0.100 | 0.100 ± 0 | – | – |")
        .contains("**Solution consistency: not met** on the mean over 2 seeds (0 of 2 meet it")
        .contains("PIDDM-1 0.0400 (≤ 0.05)")
        .contains("PIDDM-ref (k = 32) 0.0300, 1.50× the limit of 0.02");
    assertThat(ResultsDocument.consistencyVerdict(handMade(0.1, 0.15, 0.02)))
        .contains("**Solution consistency: met** on the mean over 2 seeds (2 of 2 meet it");
  }
}
