package io.piddm.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.piddm.pipeline.Profiles;
import io.piddm.pipeline.RunPlan;
import io.piddm.proto.v1.DatasetSpec;
import io.piddm.proto.v1.EvaluationSettings;
import io.piddm.proto.v1.PairBankSettings;
import io.piddm.proto.v1.RunSpec;
import io.piddm.proto.v1.StudentSettings;
import io.piddm.proto.v1.TeacherSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * RunSpecs without a server: profile defaults, the limits every count, step and batch field is
 * checked against before any arithmetic, and the import folder a dataset path must stay in.
 */
class RunSpecsTest {

  /** The trainer's shipped limits (TrainerConfig.Limits' defaults). */
  static final RunLimits LIMITS = new RunLimits(100_000, 10_000_000, 4_096, 1_000, 256, 256, 64);

  @TempDir Path dataDir;

  private static RunSpec.Builder darcy() {
    return RunSpec.newBuilder().setPde(io.piddm.proto.v1.Pde.PDE_DARCY);
  }

  private RunPlan plan(RunSpec spec) {
    return RunSpecs.plan(spec, 2, LIMITS, DatasetImports.off());
  }

  @ParameterizedTest
  @ValueSource(strings = {"quick", "standard", "paper"})
  void aBareSpecKeepsTheProfilesSchedules(String profile) {
    RunPlan plan = plan(darcy().setProfile(profile).build());
    RunPlan defaults =
        Profiles.defaults(profile, io.piddm.physics.pde.Pde.DARCY, plan.resolution());
    assertThat(plan.distill()).isEqualTo(defaults.distill());
    assertThat(plan.student().withCheckpointDirectory(null))
        .isEqualTo(defaults.student().withSeed(plan.student().seed()));
    assertThat(plan.teacher().training().finalLearningRateFraction())
        .isEqualTo(defaults.teacher().training().finalLearningRateFraction());
  }

  @Test
  void everyCountStepAndBatchFieldIsBoundedBeforeArithmetic() {
    record Case(UnaryOperator<RunSpec.Builder> change, String field, String setting) {}
    long huge = Long.MAX_VALUE;
    List<Case> cases =
        List.of(
            new Case(
                b -> b.setDataset(DatasetSpec.newBuilder().setCount(huge)),
                "dataset.count",
                "max-fields"),
            new Case(
                b -> b.setDataset(DatasetSpec.newBuilder().setHeldOutCount(1L << 33)),
                "dataset.held_out_count",
                "max-fields"),
            new Case(b -> b.setResolution(Integer.MAX_VALUE), "resolution", "max-resolution"),
            new Case(
                b -> b.setTeacher(TeacherSettings.newBuilder().setSteps(huge)),
                "teacher.steps",
                "max-steps"),
            new Case(
                b -> b.setTeacher(TeacherSettings.newBuilder().setBatchSize(1 << 20)),
                "teacher.batch_size",
                "max-batch"),
            new Case(
                b -> b.setTeacher(TeacherSettings.newBuilder().setWarmupSteps(huge)),
                "teacher.warmup_steps",
                "max-steps"),
            new Case(
                b -> b.setTeacher(TeacherSettings.newBuilder().setSamplerSteps(1_000_001)),
                "teacher.sampler_steps",
                "max-sampler-steps"),
            new Case(
                b -> b.setPairBank(PairBankSettings.newBuilder().setSize(Integer.MAX_VALUE)),
                "pair_bank.size",
                "max-fields"),
            new Case(
                b -> b.setPairBank(PairBankSettings.newBuilder().setRefreshEvery(huge)),
                "pair_bank.refresh_every",
                "max-steps"),
            new Case(
                b -> b.setStudent(StudentSettings.newBuilder().setSteps(huge)),
                "student.steps",
                "max-steps"),
            new Case(
                b -> b.setStudent(StudentSettings.newBuilder().setCheckpointEvery(huge)),
                "student.checkpoint_every",
                "max-steps"),
            new Case(
                b -> b.setEvaluation(EvaluationSettings.newBuilder().setSamples(1 << 30)),
                "evaluation.samples",
                "max-fields"),
            new Case(b -> b.setThreads(Integer.MAX_VALUE), "threads", "max-threads"));
    for (Case c : cases) {
      assertThatThrownBy(() -> plan(c.change().apply(darcy()).build()))
          .as(c.field())
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription())
                    .startsWith(c.field() + " is ")
                    .contains("piddm.trainer.limits." + c.setting());
              });
    }
    assertThatThrownBy(() -> plan(darcy().setThreads(-1).build()))
        .hasMessageContaining("threads must be positive");
    // at the limit is fine
    assertThat(plan(darcy().setDataset(DatasetSpec.newBuilder().setCount(100_000)).build()))
        .extracting(p -> p.dataset().count())
        .isEqualTo(100_000);
  }

  private static void writeMat(Path mat, int count, int size) throws IOException {
    Files.createDirectories(mat.getParent());
    double[][][] field = new double[size][size][count];
    try (WritableHdfFile file = HdfFile.write(mat)) {
      file.putDataset("coeff", field);
      file.putDataset("sol", field);
    }
  }

  private Status.Code importing(DatasetImports imports, String path) {
    try {
      RunSpecs.plan(
          darcy()
              .setDataset(DatasetSpec.newBuilder().setImportPath(path).setHeldOutCount(2))
              .build(),
          2,
          LIMITS,
          imports);
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getDescription()).startsWith("dataset.import_path: ");
      return e.getStatus().getCode();
    }
  }

  @Test
  void importsAreReadOnlyFromTheImportFolderAndProbedAtSubmission() throws IOException {
    DatasetImports imports = DatasetImports.of(Optional.empty(), dataDir);
    Path folder = dataDir.resolve("imports");
    assertThat(imports.folder()).contains(folder.toRealPath());
    writeMat(folder.resolve("darcy16.mat"), 6, 16);
    writeMat(dataDir.resolve("outside.mat"), 6, 16);
    Files.writeString(dataDir.resolve("token"), "secret");
    Files.writeString(folder.resolve("notes.mat"), "not HDF5");
    Files.createSymbolicLink(folder.resolve("link.mat"), dataDir.resolve("outside.mat"));
    Files.createDirectories(folder.resolve("sub"));

    assertThat(importing(imports, "darcy16.mat")).isEqualTo(Status.Code.OK);
    assertThat(importing(imports, folder.resolve("darcy16.mat").toString()))
        .isEqualTo(Status.Code.OK);
    assertThat(importing(imports, "sub/../darcy16.mat")).isEqualTo(Status.Code.OK);
    assertThat(importing(imports, "../outside.mat")).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(importing(imports, "../token")).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(importing(imports, dataDir.resolve("token").toString()))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(importing(imports, "/etc/passwd")).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(importing(imports, "link.mat")).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(importing(imports, "missing.mat")).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(importing(imports, "notes.mat")).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(importing(imports, "sub")).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(importing(imports, "bad\0name.mat")).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(importing(DatasetImports.of(Optional.of("off"), dataDir), "darcy16.mat"))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void anImportSetsTheResolutionAndMustHoldEnoughFields() throws IOException {
    DatasetImports imports = DatasetImports.of(Optional.of("mats"), dataDir);
    writeMat(dataDir.resolve("mats/darcy16.mat"), 6, 16);
    RunPlan plan =
        RunSpecs.plan(
            darcy()
                .setDataset(
                    DatasetSpec.newBuilder().setImportPath("darcy16.mat").setHeldOutCount(2))
                .build(),
            2,
            LIMITS,
            imports);
    assertThat(plan.resolution()).isEqualTo(16);
    assertThat(plan.dataset().importPath())
        .isEqualTo(dataDir.resolve("mats/darcy16.mat").toRealPath());
    assertThatThrownBy(
            () ->
                RunSpecs.plan(
                    darcy()
                        .setResolution(32)
                        .setDataset(DatasetSpec.newBuilder().setImportPath("darcy16.mat"))
                        .build(),
                    2,
                    LIMITS,
                    imports))
        .hasMessageContaining("resolution is 32 but dataset.import_path holds 16² fields");
    assertThatThrownBy(
            () ->
                RunSpecs.plan(
                    darcy()
                        .setDataset(
                            DatasetSpec.newBuilder()
                                .setImportPath("darcy16.mat")
                                .setCount(5)
                                .setHeldOutCount(2))
                        .build(),
                    2,
                    LIMITS,
                    imports))
        .hasMessageContaining("holds 6 fields: not enough for 5 training and 2 held-out fields");
  }
}
