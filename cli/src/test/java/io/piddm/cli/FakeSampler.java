package io.piddm.cli;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.piddm.proto.v1.DType;
import io.piddm.proto.v1.GenerateRequest;
import io.piddm.proto.v1.GenerateResponse;
import io.piddm.proto.v1.Grid;
import io.piddm.proto.v1.LoadState;
import io.piddm.proto.v1.ModelIdentity;
import io.piddm.proto.v1.ModelRef;
import io.piddm.proto.v1.ModelStatusRequest;
import io.piddm.proto.v1.ModelStatusResponse;
import io.piddm.proto.v1.Pde;
import io.piddm.proto.v1.ReconstructProgress;
import io.piddm.proto.v1.ReconstructRequest;
import io.piddm.proto.v1.ReconstructResponse;
import io.piddm.proto.v1.ReconstructResult;
import io.piddm.proto.v1.SamplerServiceGrpc;
import io.piddm.proto.v1.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in SamplerService on a real socket for the command tests: a Darcy model "fake" v2 on an
 * 8×8 grid whose fields are a formula of (seed, index, entry), and a Reconstruct that streams one
 * progress message per step and returns the observations as the mean. It records the last request.
 */
final class FakeSampler extends SamplerServiceGrpc.SamplerServiceImplBase implements AutoCloseable {

  static final int SIZE = 8;
  static final int DIM = 2 * SIZE * SIZE;
  static final ModelIdentity IDENTITY =
      ModelIdentity.newBuilder()
          .setModelName("fake")
          .setVersion(2)
          .setPde(Pde.PDE_DARCY)
          .setResidualSpecId("darcy/consistent-fv5-harmonic")
          .setGrid(
              Grid.newBuilder()
                  .setHeight(SIZE)
                  .setWidth(SIZE)
                  .setSpacingX(1.0 / (SIZE - 1))
                  .setSpacingY(1.0 / (SIZE - 1))
                  .addAllChannels(List.of("a", "u")))
          .build();

  private final Server server;
  volatile GenerateRequest lastGenerate;
  volatile ReconstructRequest lastReconstruct;

  FakeSampler() throws IOException {
    server = ServerBuilder.forPort(0).addService(this).build().start();
  }

  String target() {
    return "localhost:" + server.getPort();
  }

  /** Field {@code index} of seed {@code seed}: a = 3 or 12 in a pattern, u a smooth bump. */
  static float[] field(long seed, int index) {
    float[] f = new float[DIM];
    for (int i = 0; i < SIZE; i++) {
      for (int j = 0; j < SIZE; j++) {
        int k = i * SIZE + j;
        f[k] = ((i + j + seed + index) % 3 == 0) ? 12f : 3f;
        f[SIZE * SIZE + k] =
            (float)
                (0.01
                    * (seed + 1 + index)
                    * Math.sin(Math.PI * i / (SIZE - 1))
                    * Math.sin(Math.PI * j / (SIZE - 1)));
      }
    }
    return f;
  }

  static Tensor tensor(float[] v, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    Tensor.Builder t =
        Tensor.newBuilder().setDtype(DType.DTYPE_FLOAT32).setData(ByteString.copyFrom(b.array()));
    for (long s : shape) {
      t.addShape(s);
    }
    return t.build();
  }

  static float[] floats(Tensor t) {
    float[] out = new float[t.getData().size() / 4];
    t.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  private static boolean serves(ModelRef ref, StreamObserver<?> out) {
    if (!ref.getModelName().isEmpty() && !ref.getModelName().equals("fake")
        || ref.getVersion() != 0 && ref.getVersion() != 2) {
      out.onError(
          Status.NOT_FOUND
              .withDescription("model '" + ref.getModelName() + "' is not served here")
              .asRuntimeException());
      return false;
    }
    return true;
  }

  @Override
  public void modelStatus(ModelStatusRequest request, StreamObserver<ModelStatusResponse> out) {
    out.onNext(
        ModelStatusResponse.newBuilder()
            .setState(LoadState.LOAD_STATE_SERVING)
            .setModel(IDENTITY)
            .setExecutionProvider("cpu")
            .build());
    out.onCompleted();
  }

  @Override
  public void generate(GenerateRequest request, StreamObserver<GenerateResponse> out) {
    lastGenerate = request;
    if (!serves(request.getModel(), out)) {
      return;
    }
    int n = request.getCount();
    float[] all = new float[n * DIM];
    GenerateResponse.Builder b = GenerateResponse.newBuilder();
    for (int i = 0; i < n; i++) {
      System.arraycopy(field(request.getSeed(), i), 0, all, i * DIM, DIM);
      b.addPdeError(0.5 + i);
    }
    out.onNext(
        b.setFields(tensor(all, n, 2, SIZE, SIZE))
            .setModel(IDENTITY)
            .setNetworkEvaluations(1 + request.getRefinement().getSteps())
            .setServerMillis(1.5)
            .build());
    out.onCompleted();
  }

  @Override
  public void reconstruct(ReconstructRequest request, StreamObserver<ReconstructResponse> out) {
    lastReconstruct = request;
    if (!serves(request.getModel(), out)) {
      return;
    }
    if (!request.getObservations().getShapeList().equals(List.of(2L, (long) SIZE, (long) SIZE))) {
      out.onError(
          Status.INVALID_ARGUMENT
              .withDescription(
                  "observations: shape "
                      + request.getObservations().getShapeList()
                      + " does not match the model's [2, 8, 8]")
              .asRuntimeException());
      return;
    }
    for (int step = 0; step <= request.getSteps(); step++) {
      out.onNext(
          ReconstructResponse.newBuilder()
              .setProgress(
                  ReconstructProgress.newBuilder()
                      .setStep(step)
                      .setLoss(1.0 / (step + 1))
                      .setObservationError(0.1))
              .build());
    }
    float[] mean = floats(request.getObservations());
    ReconstructResult.Builder r =
        ReconstructResult.newBuilder()
            .setMean(tensor(mean, 2, SIZE, SIZE))
            .setSpread(tensor(new float[DIM], 2, SIZE, SIZE))
            .setPdeError(0.25)
            .setObservationError(0.125)
            .setModel(IDENTITY)
            .setSteps(request.getSteps())
            .setServerMillis(3);
    int members = Math.max(1, request.getEnsembleSize());
    if (members > 1) {
      for (int m = 0; m < members; m++) {
        r.addMembers(tensor(mean, 2, SIZE, SIZE));
      }
    }
    out.onNext(ReconstructResponse.newBuilder().setResult(r).build());
    out.onCompleted();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
