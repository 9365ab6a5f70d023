package io.piddm.sampler;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.piddm.api.Tensors;
import io.piddm.proto.inference.GRPCInferenceServiceGrpc;
import io.piddm.proto.inference.ModelInferRequest;
import io.piddm.proto.inference.ModelMetadataRequest;
import io.piddm.proto.inference.ServerLiveRequest;
import io.piddm.proto.inference.ServerReadyRequest;
import io.piddm.proto.v1.DType;
import io.piddm.proto.v1.GenerateRequest;
import io.piddm.proto.v1.GenerateResponse;
import io.piddm.proto.v1.LoadState;
import io.piddm.proto.v1.ModelRef;
import io.piddm.proto.v1.ModelStatusRequest;
import io.piddm.proto.v1.ModelStatusResponse;
import io.piddm.proto.v1.ObservedPoint;
import io.piddm.proto.v1.PointMask;
import io.piddm.proto.v1.ReconstructRequest;
import io.piddm.proto.v1.ReconstructResponse;
import io.piddm.proto.v1.RefinementSettings;
import io.piddm.proto.v1.SamplerServiceGrpc;
import io.piddm.proto.v1.Tensor;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** SamplerService and the OIP endpoints over a real socket, on a real exported student. */
@QuarkusTest
@QuarkusTestResource(ExportedStudent.class)
class SamplerServiceTest {

  static final int C = 2;
  static final int S = ExportedStudent.GRID;

  ManagedChannel channel;
  SamplerServiceGrpc.SamplerServiceBlockingStub sampler;
  GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub oip;

  @BeforeEach
  void connect() {
    int port = ConfigProvider.getConfig().getValue("quarkus.grpc.server.test-port", Integer.class);
    channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
    sampler = SamplerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    oip = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void generateIsReproducibleAndReportsPdeErrors() {
    GenerateRequest request = GenerateRequest.newBuilder().setCount(3).setSeed(11).build();
    GenerateResponse a = sampler.generate(request);
    GenerateResponse b = sampler.generate(request);
    assertThat(a.getFields().getShapeList()).containsExactly(3L, (long) C, (long) S, (long) S);
    assertThat(a.getFields().getDtype()).isEqualTo(DType.DTYPE_FLOAT32);
    assertThat(a.getFields().getData().size()).isEqualTo(3 * C * S * S * 4);
    assertThat(a.getFields().getData()).isEqualTo(b.getFields().getData());
    assertThat(a.getPdeErrorList()).hasSize(3).allSatisfy(e -> assertThat(e).isFinite());
    assertThat(a.getModel().getGrid().getChannelsList()).containsExactly("a", "u");
    assertThat(a.getNetworkEvaluations()).isEqualTo(1);
    GenerateResponse one = sampler.generate(request.toBuilder().setCount(1).build());
    assertThat(one.getFields().getData())
        .isEqualTo(a.getFields().getData().substring(0, C * S * S * 4));
  }

  @Test
  void generateWithPiddmRefRefinement() {
    GenerateRequest request =
        GenerateRequest.newBuilder()
            .setCount(2)
            .setSeed(3)
            .setRefinement(
                RefinementSettings.newBuilder()
                    .setSteps(3)
                    .setLambdaInfer(1)
                    .setLearningRate(0.01)
                    .setTypicalityWeight(1))
            .build();
    GenerateResponse r = sampler.generate(request);
    assertThat(r.getNetworkEvaluations()).isEqualTo(4);
    assertThat(r.getPdeErrorList()).hasSize(2);
    // unset lambda_solution is the model's default (10: this Darcy graph has the term), not 0
    GenerateRequest.Builder without = request.toBuilder();
    without.getRefinementBuilder().setLambdaSolution(0);
    GenerateRequest.Builder explicit = request.toBuilder();
    explicit.getRefinementBuilder().setLambdaSolution(10);
    assertThat(sampler.generate(without.build()).getFields().getData())
        .isNotEqualTo(r.getFields().getData());
    assertThat(sampler.generate(explicit.build()).getFields().getData())
        .isEqualTo(r.getFields().getData());
  }

  @Test
  void generateErrors() {
    expect(
        Status.Code.INVALID_ARGUMENT,
        "count must be >= 1",
        () -> sampler.generate(GenerateRequest.newBuilder().setCount(0).build()));
    expect(
        Status.Code.RESOURCE_EXHAUSTED,
        "exceeds the limit of " + ExportedStudent.MAX_COUNT,
        () ->
            sampler.generate(
                GenerateRequest.newBuilder().setCount(ExportedStudent.MAX_COUNT + 1).build()));
    expect(
        Status.Code.INVALID_ARGUMENT,
        "refinement.lambda_infer must be finite",
        () ->
            sampler.generate(
                GenerateRequest.newBuilder()
                    .setCount(1)
                    .setRefinement(
                        RefinementSettings.newBuilder().setSteps(1).setLambdaInfer(Double.NaN))
                    .build()));
    expect(
        Status.Code.INVALID_ARGUMENT,
        "refinement.lambda_solution must be finite and >= 0",
        () ->
            sampler.generate(
                GenerateRequest.newBuilder()
                    .setCount(1)
                    .setRefinement(
                        RefinementSettings.newBuilder().setSteps(1).setLambdaSolution(-1))
                    .build()));
    expect(
        Status.Code.INVALID_ARGUMENT,
        "refinement.steps must be >= 0",
        () ->
            sampler.generate(
                GenerateRequest.newBuilder()
                    .setCount(1)
                    .setRefinement(RefinementSettings.newBuilder().setSteps(-1))
                    .build()));
    expect(
        Status.Code.RESOURCE_EXHAUSTED,
        "refinement.steps 21 exceeds",
        () ->
            sampler.generate(
                GenerateRequest.newBuilder()
                    .setCount(1)
                    .setRefinement(RefinementSettings.newBuilder().setSteps(21))
                    .build()));
    expect(
        Status.Code.NOT_FOUND,
        "version 99 is not loaded",
        () ->
            sampler.generate(
                GenerateRequest.newBuilder()
                    .setCount(1)
                    .setModel(ModelRef.newBuilder().setVersion(99))
                    .build()));
    expect(
        Status.Code.NOT_FOUND,
        "model 'nope' is not served here",
        () ->
            sampler.generate(
                GenerateRequest.newBuilder()
                    .setCount(1)
                    .setModel(ModelRef.newBuilder().setModelName("nope"))
                    .build()));
  }

  @Test
  void reconstructStreamsProgressFieldsAndTheResult() {
    float[] truth = new float[C * S * S];
    for (int k = 0; k < truth.length; k++) {
      truth[k] = k < S * S ? 7.5f : 0.02f;
    }
    List<ReconstructResponse> got = new ArrayList<>();
    sampler
        .reconstruct(
            ReconstructRequest.newBuilder()
                .setObservations(tensor(truth))
                .setPoints(
                    PointMask.newBuilder()
                        .addPoints(ObservedPoint.newBuilder().setChannel(0).setRow(3).setCol(4))
                        .addPoints(ObservedPoint.newBuilder().setChannel(1).setRow(8).setCol(8)))
                .setLambdaObs(1)
                .setLambdaPde(0.001)
                .setSteps(6)
                .setLearningRate(0.05)
                .setFieldEvery(3)
                .setEnsembleSize(2)
                .setSeed(4)
                .build())
        .forEachRemaining(got::add);
    List<ReconstructResponse> progress =
        got.stream().filter(ReconstructResponse::hasProgress).toList();
    assertThat(progress).hasSize(2 * 7);
    assertThat(progress.stream().filter(p -> p.getProgress().hasField())).hasSize(2 * 2);
    assertThat(progress.get(0).getProgress().getObservationError()).isPositive();
    ReconstructResponse last = got.get(got.size() - 1);
    assertThat(last.hasResult()).isTrue();
    assertThat(last.getResult().getMean().getShapeList())
        .containsExactly((long) C, (long) S, (long) S);
    assertThat(last.getResult().getMembersList()).hasSize(2);
    assertThat(last.getResult().getSteps()).isEqualTo(6);
    assertThat(last.getResult().getPdeError()).isFinite();
  }

  @Test
  void reconstructErrors() {
    float[] field = new float[C * S * S];
    ReconstructRequest ok =
        ReconstructRequest.newBuilder()
            .setObservations(tensor(field))
            .setPoints(PointMask.newBuilder().addPoints(ObservedPoint.newBuilder()))
            .setLambdaObs(1)
            .setSteps(2)
            .build();
    expectStream(
        Status.Code.INVALID_ARGUMENT,
        "observations: shape [2, 16, 15] does not match the model's [2, 16, 16]",
        ok.toBuilder()
            .setObservations(
                Tensor.newBuilder()
                    .setDtype(DType.DTYPE_FLOAT32)
                    .addShape(2)
                    .addShape(16)
                    .addShape(15)
                    .setData(ByteString.copyFrom(new byte[2 * 16 * 15 * 4])))
            .build());
    float[] nan = field.clone();
    nan[5] = Float.NaN;
    expectStream(
        Status.Code.INVALID_ARGUMENT,
        "observations: element 5 is NaN",
        ok.toBuilder().setObservations(tensor(nan)).build());
    // found by the generated-input test: a weight so large that the loss overflows float32
    expectStream(
        Status.Code.INVALID_ARGUMENT,
        "the reconstruction diverged at step 0: the loss is no longer finite",
        ok.toBuilder().setLambdaObs(Double.MAX_VALUE).build());
    float[] two = field.clone();
    two[1] = 2;
    expectStream(
        Status.Code.INVALID_ARGUMENT,
        "dense_mask: element 1 is 2.0, not 0 or 1",
        ok.toBuilder().setDenseMask(tensor(two)).build());
    expectStream(
        Status.Code.INVALID_ARGUMENT,
        "is outside the grid",
        ok.toBuilder()
            .setPoints(
                PointMask.newBuilder().addPoints(ObservedPoint.newBuilder().setRow(S).setCol(0)))
            .build());
    expectStream(
        Status.Code.INVALID_ARGUMENT,
        "needs a non-empty mask",
        ok.toBuilder().setDenseMask(tensor(field)).build());
    expectStream(
        Status.Code.INVALID_ARGUMENT, "steps must be >= 1", ok.toBuilder().setSteps(0).build());
    expectStream(
        Status.Code.RESOURCE_EXHAUSTED,
        "steps 501 exceeds the limit of 500",
        ok.toBuilder().setSteps(ExportedStudent.MAX_STEPS + 1).build());
    expectStream(
        Status.Code.RESOURCE_EXHAUSTED,
        "ensemble_size 5 exceeds",
        ok.toBuilder().setEnsembleSize(5).build());
    expectStream(
        Status.Code.INVALID_ARGUMENT,
        "learning_rate must be >= 0",
        ok.toBuilder().setLearningRate(-1).build());
    expectStream(
        Status.Code.NOT_FOUND,
        "alias 'staging' is not followed here",
        ok.toBuilder().setModel(ModelRef.newBuilder().setAlias("staging")).build());
  }

  @Test
  void cancellingAReconstructionStopsTheStream() throws Exception {
    Context.CancellableContext context = Context.current().withCancellation();
    int[] seen = {0};
    context.run(
        () -> {
          Iterator<ReconstructResponse> it =
              sampler.reconstruct(
                  ReconstructRequest.newBuilder()
                      .setLambdaPde(1)
                      .setSteps(ExportedStudent.MAX_STEPS)
                      .build());
          it.next();
          seen[0]++;
          context.cancel(null);
          assertThatThrownBy(
                  () -> {
                    while (it.hasNext()) {
                      it.next();
                      seen[0]++;
                    }
                  })
              .isInstanceOfSatisfying(
                  StatusRuntimeException.class,
                  e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED));
        });
    assertThat(seen[0]).isLessThan(ExportedStudent.MAX_STEPS);
    // the service still answers afterwards
    assertThat(sampler.generate(GenerateRequest.newBuilder().setCount(1).build()).hasFields())
        .isTrue();
  }

  @Test
  void modelStatusAndOpenInferenceProtocol() {
    ModelStatusResponse status = sampler.modelStatus(ModelStatusRequest.getDefaultInstance());
    assertThat(status.getState()).isEqualTo(LoadState.LOAD_STATE_SERVING);
    assertThat(status.getExecutionProvider()).isEqualTo("cpu");
    String name = status.getModel().getModelName();
    assertThat(name).isEqualTo("piddm-student");

    assertThat(oip.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
    assertThat(oip.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
    var meta = oip.modelMetadata(ModelMetadataRequest.newBuilder().setName(name).build());
    assertThat(meta.getInputs(0).getShapeList()).containsExactly(-1L, (long) C, (long) S, (long) S);

    float[] eps = new float[2 * C * S * S];
    ByteBuffer b = ByteBuffer.allocate(eps.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    var input =
        ModelInferRequest.InferInputTensor.newBuilder()
            .setName("eps")
            .setDatatype("FP32")
            .addShape(2)
            .addShape(C)
            .addShape(S)
            .addShape(S);
    var response =
        oip.modelInfer(
            ModelInferRequest.newBuilder()
                .setModelName(name)
                .addInputs(input)
                .addRawInputContents(ByteString.copyFrom(b.array()))
                .build());
    assertThat(response.getOutputs(0).getShapeList())
        .containsExactly(2L, (long) C, (long) S, (long) S);
    assertThat(response.getRawOutputContents(0).size()).isEqualTo(eps.length * 4);

    expect(
        Status.Code.NOT_FOUND,
        "model 'other' is not served here",
        () ->
            oip.modelInfer(
                ModelInferRequest.newBuilder().setModelName("other").addInputs(input).build()));
    expect(
        Status.Code.INVALID_ARGUMENT,
        "input eps: raw contents hold 4 bytes",
        () ->
            oip.modelInfer(
                ModelInferRequest.newBuilder()
                    .setModelName(name)
                    .addInputs(input)
                    .addRawInputContents(ByteString.copyFrom(new byte[4]))
                    .build()));
    expect(
        Status.Code.INVALID_ARGUMENT,
        "is not [N, 2, 16, 16]",
        () ->
            oip.modelInfer(
                ModelInferRequest.newBuilder()
                    .setModelName(name)
                    .addInputs(input.clone().setShape(3, 17))
                    .build()));
  }

  @Test
  void prometheusShowsTheTimersAsHistogramsAndTheLoadedVersion() {
    sampler.generate(GenerateRequest.newBuilder().setCount(1).build());
    String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
    assertThat(metrics)
        .containsPattern(
            "piddm_sampler_generate_seconds_bucket\\{.*model=\"piddm-student\".*provider=\"cpu\".*version=\"0\".*le=\"\\+Inf\"")
        .contains("piddm_sampler_loaded_version")
        .contains("piddm_sampler_load_failures_total")
        .contains("piddm_sampler_models_open 1.0")
        .containsPattern("piddm_sampler_generate_batch_size_bucket\\{le=\"\\+Inf\"")
        .containsPattern("piddm_sampler_generate_queue_seconds_bucket\\{le=\"\\+Inf\"");
  }

  static Tensor tensor(float[] values) {
    return Tensors.float32(values, C, S, S);
  }

  static void expect(Status.Code code, String message, Executable call) {
    assertThatThrownBy(call::execute)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(code);
              assertThat(e.getStatus().getDescription()).contains(message);
            });
  }

  void expectStream(Status.Code code, String message, ReconstructRequest request) {
    expect(code, message, () -> sampler.reconstruct(request).forEachRemaining(r -> {}));
  }
}
