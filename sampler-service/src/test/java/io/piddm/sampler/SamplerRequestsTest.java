package io.piddm.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.piddm.api.Tensors;
import io.piddm.inference.OnnxSessions;
import io.piddm.inference.Reconstruction;
import io.piddm.inference.ReconstructionDefaults;
import io.piddm.inference.StudentModel;
import io.piddm.proto.v1.GenerateRequest;
import io.piddm.proto.v1.ObservedPoint;
import io.piddm.proto.v1.PointMask;
import io.piddm.proto.v1.ReconstructOptimizer;
import io.piddm.proto.v1.ReconstructRequest;
import io.piddm.proto.v1.RefinementSettings;
import io.piddm.proto.v1.TaskKind;
import java.nio.file.Path;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sampler's request mapping without Quarkus: limits, defaults, masks, status codes. */
class SamplerRequestsTest {

  private static final SamplerRequests.Limits LIMITS = new SamplerRequests.Limits(8, 20, 500, 4);
  private static final int S = ExportedStudent.GRID;

  @TempDir static Path dir;
  static StudentModel model;

  @BeforeAll
  static void open() throws Exception {
    ExportedStudent.write(dir, 5);
    model = StudentModel.open(dir, OnnxSessions.Provider.CPU, 1);
  }

  @AfterAll
  static void close() throws Exception {
    model.close();
  }

  @Test
  void generateLimitsAndWeights() {
    SamplerRequests.checkGenerate(GenerateRequest.newBuilder().setCount(8).build(), LIMITS);
    refused(
        Status.Code.RESOURCE_EXHAUSTED,
        "count 9 exceeds the limit of 8",
        () ->
            SamplerRequests.checkGenerate(
                GenerateRequest.newBuilder().setCount(9).build(), LIMITS));
    refused(
        Status.Code.INVALID_ARGUMENT,
        "refinement.typicality_weight must be >= 0",
        () ->
            SamplerRequests.checkGenerate(
                GenerateRequest.newBuilder()
                    .setCount(1)
                    .setRefinement(RefinementSettings.newBuilder().setTypicalityWeight(-1))
                    .build(),
                LIMITS));
  }

  @Test
  void refinementTakesTheModelsSolutionWeightUnlessOneIsSet() {
    RefinementSettings.Builder ref = RefinementSettings.newBuilder().setSteps(3).setLambdaInfer(2);
    Reconstruction.Settings unset = SamplerRequests.refinement(ref.build(), model);
    assertThat(unset.lambdaSolution()).isEqualTo(StudentModel.REF_SOLUTION_WEIGHT);
    assertThat(unset.learningRate()).isEqualTo(SamplerRequests.DEFAULT_LEARNING_RATE);
    assertThat(unset.lambdaPde()).isEqualTo(2);
    assertThat(unset.lambdaObs()).isZero();
    assertThat(SamplerRequests.refinement(ref.setLambdaSolution(0).build(), model).lambdaSolution())
        .isZero();
    refused(
        Status.Code.INVALID_ARGUMENT,
        "refinement.lambda_solution must be finite and >= 0",
        () -> SamplerRequests.refinement(ref.setLambdaSolution(Double.NaN).build(), model));
  }

  @Test
  void pointsBecomeAMaskAndTheSettingsCarryTheRequestsWeights() {
    ReconstructRequest request =
        ReconstructRequest.newBuilder()
            .setSteps(5)
            .setLambdaObs(1)
            .setLambdaPde(1e-3)
            .setLambdaSolution(0.5)
            .setEnsembleSize(3)
            .setFieldEvery(2)
            .setObservations(Tensors.float32(new float[2 * S * S], 2L, S, S))
            .setPoints(
                PointMask.newBuilder()
                    .addPoints(ObservedPoint.newBuilder().setChannel(1).setRow(2).setCol(3)))
            .build();
    SamplerRequests.checkReconstruct(request, LIMITS);
    SamplerRequests.ReconstructJob job = SamplerRequests.reconstructJob(request, model, LIMITS);
    assertThat(job.members()).isEqualTo(3);
    int observed = 0;
    for (float m : job.mask()) {
      observed += (int) m;
    }
    assertThat(observed).isEqualTo(1);
    assertThat(job.mask()[S * S + 2 * S + 3]).isEqualTo(1);
    assertThat(job.settings())
        .isEqualTo(
            new Reconstruction.Settings(
                5, SamplerRequests.DEFAULT_LEARNING_RATE, 1, 1e-3, 0.5, 0, 2));
  }

  @Test
  void reconstructMistakesNameWhatIsWrong() {
    ReconstructRequest base = ReconstructRequest.newBuilder().setSteps(5).setLambdaPde(1).build();
    refused(
        Status.Code.RESOURCE_EXHAUSTED,
        "ensemble_size 5 exceeds the limit of 4",
        () ->
            SamplerRequests.checkReconstruct(base.toBuilder().setEnsembleSize(5).build(), LIMITS));
    refused(
        Status.Code.INVALID_ARGUMENT,
        "nothing to minimise",
        () ->
            SamplerRequests.checkReconstruct(
                base.toBuilder().setLambdaPde(0).setLambdaSolution(0).build(), LIMITS));
    // weights left unset on a model without defaults
    refused(
        Status.Code.INVALID_ARGUMENT,
        "nothing to minimise (task TASK_KIND_UNSPECIFIED: the model has no reconstruction defaults",
        () ->
            SamplerRequests.reconstructJob(
                base.toBuilder().setLambdaPde(0).build(), model, LIMITS));
    refused(
        Status.Code.INVALID_ARGUMENT,
        "steps must be >= 1 (task TASK_KIND_FORWARD: the model has no reconstruction defaults",
        () ->
            SamplerRequests.reconstructJob(
                base.toBuilder().setSteps(0).setTask(TaskKind.TASK_KIND_FORWARD).build(),
                model,
                LIMITS));
    refused(
        Status.Code.INVALID_ARGUMENT,
        "lambda_obs > 0 needs observations",
        () ->
            SamplerRequests.reconstructJob(
                base.toBuilder().setLambdaObs(1).build(), model, LIMITS));
    refused(
        Status.Code.INVALID_ARGUMENT,
        "points: (2, 0, 0) is outside the grid",
        () ->
            SamplerRequests.reconstructJob(
                base.toBuilder()
                    .setPoints(
                        PointMask.newBuilder().addPoints(ObservedPoint.newBuilder().setChannel(2)))
                    .build(),
                model,
                LIMITS));
  }

  @Test
  void unsetStepsLearningRateAndWeightsTakeTheModelsDefaultsForTheTask(@TempDir Path withDefaults)
      throws Exception {
    ReconstructionDefaults defaults =
        new ReconstructionDefaults(
            Map.of(
                ReconstructionDefaults.Task.FORWARD,
                new ReconstructionDefaults.TaskSettings(7, 0.5, 1e-6, 1, 3),
                ReconstructionDefaults.Task.INVERSE,
                new ReconstructionDefaults.TaskSettings(
                    9, 0.02, 1, 1e-3, 0, Reconstruction.Optimizer.LBFGS),
                ReconstructionDefaults.Task.RECONSTRUCTION,
                new ReconstructionDefaults.TaskSettings(600, 0.05, 1, 1e-3, 0)));
    ExportedStudent.write(withDefaults, 5, defaults);
    try (StudentModel published = StudentModel.open(withDefaults, OnnxSessions.Provider.CPU, 1)) {
      assertThat(published.reconstructDefaults()).isEqualTo(defaults);
      ReconstructRequest forward =
          ReconstructRequest.newBuilder()
              .setTask(TaskKind.TASK_KIND_FORWARD)
              .setFieldEvery(4)
              .setObservations(Tensors.float32(new float[2 * S * S], 2L, S, S))
              .setPoints(PointMask.newBuilder().addPoints(ObservedPoint.newBuilder()))
              .build();
      SamplerRequests.checkReconstruct(forward, LIMITS);
      assertThat(SamplerRequests.reconstructJob(forward, published, LIMITS).settings())
          .isEqualTo(new Reconstruction.Settings(7, 0.5, 1e-6, 1, 3, 0, 4));
      // what the request sets wins, field by field: here steps and the weights, not the rate
      ReconstructRequest inverse =
          ReconstructRequest.newBuilder()
              .setTask(TaskKind.TASK_KIND_INVERSE)
              .setSteps(4)
              .setLambdaPde(2)
              .build();
      assertThat(SamplerRequests.reconstructJob(inverse, published, LIMITS).settings())
          .isEqualTo(
              new Reconstruction.Settings(4, 0.02, 0, 2, 0, 0, 0, Reconstruction.Optimizer.LBFGS));
      // the optimizer too: the request's wins, an unknown one is refused
      assertThat(
              SamplerRequests.reconstructJob(
                      inverse.toBuilder()
                          .setOptimizer(ReconstructOptimizer.RECONSTRUCT_OPTIMIZER_ADAM)
                          .build(),
                      published,
                      LIMITS)
                  .settings()
                  .optimizer())
          .isEqualTo(Reconstruction.Optimizer.ADAM);
      refused(
          Status.Code.INVALID_ARGUMENT,
          "optimizer 7 is not a known optimizer",
          () ->
              SamplerRequests.reconstructJob(
                  inverse.toBuilder().setOptimizerValue(7).build(), published, LIMITS));
      assertThat(
              SamplerRequests.wire(
                      SamplerRequests.reconstructJob(inverse, published, LIMITS).settings())
                  .getOptimizer())
          .isEqualTo(ReconstructOptimizer.RECONSTRUCT_OPTIMIZER_LBFGS);
      // a default beyond the server's limit is refused as a request over it would be
      refused(
          Status.Code.RESOURCE_EXHAUSTED,
          "the model's default steps 600 exceeds the limit of 500",
          () ->
              SamplerRequests.reconstructJob(
                  ReconstructRequest.newBuilder()
                      .setTask(TaskKind.TASK_KIND_RECONSTRUCTION)
                      .setLambdaPde(1)
                      .build(),
                  published,
                  LIMITS));
    }
  }

  private static void refused(Status.Code code, String message, ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(code))
        .hasMessageContaining(message);
  }
}
