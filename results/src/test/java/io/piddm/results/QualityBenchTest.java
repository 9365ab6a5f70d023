package io.piddm.results;

import static org.assertj.core.api.Assertions.assertThat;

import io.piddm.diffusion.distill.DistillSettings;
import io.piddm.diffusion.edm.GuidedSampler;
import io.piddm.diffusion.eval.DataSpaceOptimisation;
import io.piddm.diffusion.train.TrainSettings;
import io.piddm.inference.eval.ReconstructionEvaluation;
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
        2,
        new GuidedSampler.Settings(2, 50, 1e-4),
        1,
        new DataSpaceOptimisation.Settings(3, 0.05),
        List.of(1, 3),
        new QualitySettings.Refinement(0.05, 1, 1),
        new ReconstructionEvaluation.Settings(1, 4, 1.0, 1e-6, 1, 0.25, 2, 3),
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
    assertThat(seed.methods()).hasSize(7);
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
            ResultsDocument.write(report, bench.seedDir(4), dir.resolve("docs")),
            StandardCharsets.UTF_8);
    assertThat(text)
        .contains("## Burgers 16² — 1 training seed [4]")
        .contains(
            "| PDE error (`burgers/conservative-central`) | PDE error (published-compatible) |")
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
    assertThat(report.perSeed().get(0).methods().get(4).pdeErrorRelative())
        .isNotEqualTo(report.perSeed().get(1).methods().get(4).pdeErrorRelative());

    Path docs = dir.resolve("docs");
    Path md =
        ResultsDocument.write(
            report,
            new QualityBench(settings, dir.resolve("work"), RunListener.NONE, log::add).seedDir(1),
            docs);
    String text = Files.readString(md, StandardCharsets.UTF_8);
    assertThat(text)
        .contains("## Darcy 16² — 2 training seeds [1, 2]")
        .contains("| PIDDM-1 | DJL | 1 |")
        .contains("| PIDDM-ref (k = 3) | ONNX Runtime | 7 |")
        .contains("| piddm-reconstruction | sparse |")
        .contains(" ± ")
        .contains("results/figures/darcy16-pde-error-vs-nfe.png");
    Path figures = docs.resolve("results").resolve("figures");
    for (String png :
        List.of(
            "darcy16-pde-error-vs-nfe.png",
            "darcy16-reconstruction-error.png",
            "darcy16-piddm-1.png",
            "darcy16-ground-truth.png")) {
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
    assertThat(speed.teacherHeunPerSample().p50()).isGreaterThan(speed.djlStudentForward().p50());
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
}
