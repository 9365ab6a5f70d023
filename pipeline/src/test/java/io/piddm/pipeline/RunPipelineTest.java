package io.piddm.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.piddm.diffusion.distill.DistillSettings;
import io.piddm.diffusion.train.TrainSettings;
import io.piddm.physics.dataset.DatasetSidecar;
import io.piddm.physics.pde.Pde;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Whole runs at 16² with a tiny net and a few real DJL steps per phase. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunPipelineTest {

  @TempDir static Path root;

  private Path uninterrupted;
  private final List<String> events = new ArrayList<>();
  private final List<Publisher.Request> requests = new ArrayList<>();
  private RunPipeline.Outcome outcome;

  static RunPlan tinyPlan(RunPlan.Publish publish) {
    return new RunPlan(
        Pde.DARCY,
        16,
        "test",
        new RunPlan.Dataset(12, 1, 4, 2),
        new RunPlan.Teacher("tiny", new TrainSettings(4, 6, 1e-3, 2, 1.0, 0.9, 1, 2, null), 2),
        new DistillSettings(4, 2, 0, 0.0, 0.1, 4),
        new TrainSettings(4, 4, 1e-3, 1, 1.0, 0.9, 1, 2, null),
        new RunPlan.Evaluation(2, List.of(3L)),
        publish,
        1);
  }

  private Publisher recording() {
    return request -> {
      requests.add(request);
      return new Publisher.Published(request.modelName(), requests.size(), request.alias(), "");
    };
  }

  private RunListener recordingListener(List<String> into) {
    return new RunListener() {
      @Override
      public void onPhase(Phase phase, boolean skipped, String message) {
        into.add(phase + (skipped ? " skipped" : ""));
      }

      @Override
      public void onProgress(Progress progress) {
        assertThat(progress.step()).isBetween(1L, progress.totalSteps());
      }
    };
  }

  @BeforeAll
  void runOnce() throws Exception {
    uninterrupted = root.resolve("run-a");
    outcome =
        new RunPipeline(
                tinyPlan(new RunPlan.Publish("darcy-test", "staging", false, Map.of("k", "v"))),
                "run-a",
                uninterrupted,
                recording(),
                recordingListener(events))
            .run();
  }

  @Test
  void runsEveryPhaseInOrderAndPublishesTheExportedFiles() throws Exception {
    assertThat(events)
        .containsExactly(
            "DATA", "TEACHER", "PAIR_BANK", "STUDENT", "EVALUATION", "EXPORT", "PUBLISH");
    assertThat(outcome.metrics().get("pde_error")).isFinite().isPositive();
    assertThat(outcome.metrics().get("teacher_pde_error")).isFinite().isPositive();
    assertThat(outcome.metrics().get("nfe")).isEqualTo(1.0);
    assertThat(outcome.metrics().get("teacher_nfe")).isEqualTo(3.0);
    assertThat(outcome.metrics()).containsKeys("mmse_a", "smse_u", "onnx_max_abs_difference");
    assertThat(outcome.metrics().get("onnx_max_abs_difference")).isLessThan(1e-3);

    assertThat(requests).hasSize(1);
    Publisher.Request request = requests.get(0);
    assertThat(request.modelName()).isEqualTo("darcy-test");
    assertThat(request.alias()).isEqualTo("staging");
    assertThat(request.files())
        .extracting(p -> p.getFileName().toString())
        .containsExactly("model.onnx", "reconstruct.onnx");
    assertThat(request.files()).allMatch(Files::isRegularFile);
    assertThat(request.labels()).containsEntry("run_id", "run-a").containsEntry("k", "v");
    assertThat(request.metrics()).isEqualTo(outcome.metrics());
    assertThat(request.lineage().datasetSha256())
        .isEqualTo(DatasetSidecar.read(uninterrupted.resolve("data/train")).sha256());
    assertThat(request.lineage().hyperparameters())
        .containsEntry("student.lambda_train", "0.1")
        .containsEntry("teacher.steps", "6");
    assertThat(outcome.published().version()).isEqualTo(1);
  }

  @Test
  void aFinishedRunStartedAgainSkipsEveryPhaseAndDoesNotPublishTwice() throws Exception {
    List<String> again = new ArrayList<>();
    int before = requests.size();
    RunPipeline.Outcome second =
        new RunPipeline(
                tinyPlan(new RunPlan.Publish("darcy-test", "staging", false, Map.of("k", "v"))),
                "run-a",
                uninterrupted,
                recording(),
                recordingListener(again))
            .run();
    assertThat(again).allMatch(e -> e.endsWith("skipped"));
    assertThat(requests).hasSize(before);
    assertThat(second.metrics()).isEqualTo(outcome.metrics());
    assertThat(second.published()).isEqualTo(outcome.published());
  }

  @Test
  void aRunCancelledMidTeacherResumesToTheSameWeights() throws Exception {
    Path dir = root.resolve("run-b");
    RunPlan plan = tinyPlan(new RunPlan.Publish("", "", true, Map.of()));
    AtomicInteger teacherSteps = new AtomicInteger();
    RunListener cancelling =
        new RunListener() {
          @Override
          public void onPhase(Phase phase, boolean skipped, String message) {}

          @Override
          public void onProgress(Progress progress) {
            if (progress.phase() == Phase.TEACHER && teacherSteps.incrementAndGet() == 3) {
              throw new RunCancelledException("cancelled by the test");
            }
          }
        };
    assertThatThrownBy(() -> new RunPipeline(plan, "run-b", dir, recording(), cancelling).run())
        .isInstanceOf(RunCancelledException.class);
    assertThat(dir.resolve("teacher/model.json")).doesNotExist();

    List<String> resumed = new ArrayList<>();
    RunPipeline.Outcome finished =
        new RunPipeline(plan, "run-b", dir, recording(), recordingListener(resumed)).run();
    assertThat(resumed.get(0)).isEqualTo("DATA skipped");
    assertThat(resumed).contains("TEACHER", "PUBLISH skipped");
    assertThat(finished.published()).isNull();
    assertThat(Files.readAllBytes(dir.resolve("teacher/weights.ndlist")))
        .isEqualTo(Files.readAllBytes(uninterrupted.resolve("teacher/weights.ndlist")));
    assertThat(Files.readAllBytes(dir.resolve("student/weights.ndlist")))
        .isEqualTo(Files.readAllBytes(uninterrupted.resolve("student/weights.ndlist")));
  }

  @Test
  void anImportedMatFileIsSplitIntoTrainingAndHeldOutFields() throws Exception {
    // solver fields written as MATLAB would store them: dims [S][S][N], element [j][i][n]
    Path generated = root.resolve("solver-data");
    new io.piddm.physics.dataset.DatasetGenerator(
            new io.piddm.physics.dataset.DatasetSpec(Pde.DARCY, 16, 10, 7), 1)
        .generate(generated, n -> {});
    float[] fields =
        org.jetbrains.bio.npy.NpyFile.read(generated.resolve("fields.npy"), Integer.MAX_VALUE)
            .asFloatArray();
    double[][][][] channels = new double[2][16][16][10];
    for (int n = 0; n < 10; n++) {
      for (int c = 0; c < 2; c++) {
        for (int i = 0; i < 16; i++) {
          for (int j = 0; j < 16; j++) {
            channels[c][j][i][n] = fields[((n * 2 + c) * 16 + i) * 16 + j];
          }
        }
      }
    }
    Path mat = root.resolve("darcy16.mat");
    try (io.jhdf.WritableHdfFile file = io.jhdf.HdfFile.write(mat)) {
      file.putDataset("coeff", channels[0]);
      file.putDataset("sol", channels[1]);
    }
    RunPlan tiny = tinyPlan(new RunPlan.Publish("", "", true, Map.of()));
    RunPlan imported =
        new RunPlan(
            tiny.pde(),
            tiny.resolution(),
            tiny.profile(),
            new RunPlan.Dataset(0, 1, 3, 2, mat),
            tiny.teacher(),
            tiny.distill(),
            tiny.student(),
            tiny.evaluation(),
            tiny.publish(),
            1);
    Path dir = root.resolve("run-imported");
    RunPipeline pipeline = new RunPipeline(imported, "run-i", dir, recording(), RunListener.NONE);
    RunPipeline.Outcome done = pipeline.run();

    DatasetSidecar train = DatasetSidecar.read(pipeline.trainingData());
    DatasetSidecar heldOut = DatasetSidecar.read(pipeline.heldOutData());
    assertThat(train.count()).isEqualTo(7);
    assertThat(heldOut.count()).isEqualTo(3);
    assertThat(train.source()).isEqualTo("imported:darcy16.mat");
    assertThat(done.lineage().source()).isEqualTo("imported:darcy16.mat");
    float[] held =
        org.jetbrains.bio.npy.NpyFile.read(
                pipeline.heldOutData().resolve("fields.npy"), Integer.MAX_VALUE)
            .asFloatArray();
    // held-out field 0 is the file's field 7, bit for bit
    assertThat(java.util.Arrays.copyOfRange(held, 0, 2 * 256))
        .isEqualTo(java.util.Arrays.copyOfRange(fields, 7 * 2 * 256, 8 * 2 * 256));
    assertThat(done.metrics().get("ground_truth_pde_error")).isLessThan(1e-5);

    RunPlan wrongSize =
        new RunPlan(
            tiny.pde(),
            32,
            tiny.profile(),
            new RunPlan.Dataset(0, 1, 3, 2, mat),
            tiny.teacher(),
            tiny.distill(),
            tiny.student(),
            tiny.evaluation(),
            tiny.publish(),
            1);
    assertThatThrownBy(
            () ->
                new RunPipeline(
                        wrongSize, "run-w", root.resolve("run-w"), recording(), RunListener.NONE)
                    .run())
        .hasMessageContaining("set resolution to 16");
  }

  @Test
  void invalidPlansNameTheField() {
    assertThatThrownBy(() -> tinyPlan(new RunPlan.Publish("Bad/Name", "", false, Map.of())))
        .hasMessageContaining("publish.model_name");
    assertThatThrownBy(() -> tinyPlan(new RunPlan.Publish("ok", "Prod!", false, Map.of())))
        .hasMessageContaining("publish.request_alias");
    assertThatThrownBy(() -> new RunPlan.Dataset(10, 1, 4, 1))
        .hasMessageContaining("held_out_seed");
    assertThatThrownBy(
            () ->
                new RunPlan.Teacher(
                    "huge", new TrainSettings(4, 6, 1e-3, 2, 1.0, 0.9, 1, 2, null), 2))
        .hasMessageContaining("teacher.preset");
    assertThatThrownBy(() -> Profiles.defaults("slow", Pde.DARCY, 0))
        .hasMessageContaining("profile");
    assertThat(Profiles.defaults("quick", Pde.DARCY, 0).resolution()).isEqualTo(32);
  }
}
