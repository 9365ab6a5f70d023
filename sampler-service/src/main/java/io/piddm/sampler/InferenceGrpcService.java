package io.piddm.sampler;

import com.google.protobuf.ByteString;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.piddm.inference.StudentModel;
import io.piddm.proto.inference.GRPCInferenceServiceGrpc;
import io.piddm.proto.inference.ModelInferRequest;
import io.piddm.proto.inference.ModelInferResponse;
import io.piddm.proto.inference.ModelMetadataRequest;
import io.piddm.proto.inference.ModelMetadataResponse;
import io.piddm.proto.inference.ModelReadyRequest;
import io.piddm.proto.inference.ModelReadyResponse;
import io.piddm.proto.inference.ServerLiveRequest;
import io.piddm.proto.inference.ServerLiveResponse;
import io.piddm.proto.inference.ServerMetadataRequest;
import io.piddm.proto.inference.ServerMetadataResponse;
import io.piddm.proto.inference.ServerReadyRequest;
import io.piddm.proto.inference.ServerReadyResponse;
import io.piddm.service.StrictRequests;
import io.quarkus.grpc.GrpcService;
import jakarta.annotation.PreDestroy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;

/**
 * The Open Inference Protocol (KServe v2) for the raw student: one input {@code eps} FP32 [N, C, S,
 * S] (raw_input_contents or fp32_contents), one output {@code x} FP32 [N, C, S, S] in physical
 * units, always as raw_output_contents. The model name is the served model's, its version the
 * served version's decimal string.
 */
@GrpcService
public class InferenceGrpcService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

  /** Requests that are not valid messages answer INVALID_ARGUMENT, not UNKNOWN. */
  @Override
  public ServerServiceDefinition bindService() {
    return StrictRequests.of(super.bindService());
  }

  private final ModelHolder holder;
  private final SamplerConfig config;
  private final ThreadPoolExecutor workers;

  public InferenceGrpcService(ModelHolder holder, SamplerConfig config) {
    this.holder = holder;
    this.config = config;
    this.workers = SamplerGrpcService.workerPool(config, "oip-worker");
  }

  @PreDestroy
  void stop() {
    workers.shutdownNow();
  }

  @Override
  public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
    out.onNext(ServerLiveResponse.newBuilder().setLive(true).build());
    out.onCompleted();
  }

  @Override
  public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
    out.onNext(ServerReadyResponse.newBuilder().setReady(holder.current() != null).build());
    out.onCompleted();
  }

  @Override
  public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
    LoadedModel m = holder.current();
    boolean ready =
        m != null
            && request.getName().equals(m.identity().getModelName())
            && (request.getVersion().isEmpty() || request.getVersion().equals(m.versionLabel()));
    out.onNext(ModelReadyResponse.newBuilder().setReady(ready).build());
    out.onCompleted();
  }

  @Override
  public void serverMetadata(
      ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
    String version = getClass().getPackage().getImplementationVersion();
    out.onNext(
        ServerMetadataResponse.newBuilder()
            .setName("piddm-sampler")
            .setVersion(version == null ? "dev" : version)
            .build());
    out.onCompleted();
  }

  @Override
  public void modelMetadata(
      ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
    try {
      LoadedModel m = acquire(request.getName(), request.getVersion());
      List<Long> shape;
      try {
        shape = shape(m.student(), -1);
      } finally {
        m.release();
      }
      out.onNext(
          ModelMetadataResponse.newBuilder()
              .setName(m.identity().getModelName())
              .addVersions(m.versionLabel())
              .setPlatform("onnxruntime_onnx")
              .addInputs(
                  ModelMetadataResponse.TensorMetadata.newBuilder()
                      .setName("eps")
                      .setDatatype("FP32")
                      .addAllShape(shape))
              .addOutputs(
                  ModelMetadataResponse.TensorMetadata.newBuilder()
                      .setName("x")
                      .setDatatype("FP32")
                      .addAllShape(shape))
              .build());
      out.onCompleted();
    } catch (StatusRuntimeException e) {
      out.onError(e);
    }
  }

  @Override
  public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
    try {
      workers.execute(
          () -> {
            try {
              out.onNext(infer(request));
              out.onCompleted();
            } catch (StatusRuntimeException e) {
              out.onError(e);
            } catch (Exception e) {
              out.onError(
                  Status.INTERNAL.withDescription(e.toString()).withCause(e).asRuntimeException());
            }
          });
    } catch (RejectedExecutionException e) {
      out.onError(
          SamplerGrpcService.exhausted(
              "the sampler's request queue is full (" + config.maxQueue() + " waiting)"));
    }
  }

  private ModelInferResponse infer(ModelInferRequest request) throws Exception {
    LoadedModel m = acquire(request.getModelName(), request.getModelVersion());
    try {
      return inferWith(m, request);
    } finally {
      m.release();
    }
  }

  private ModelInferResponse inferWith(LoadedModel m, ModelInferRequest request) throws Exception {
    StudentModel s = m.student();
    if (request.getInputsCount() != 1 || !request.getInputs(0).getName().equals("eps")) {
      throw InvalidArgument.of(
          "ModelInfer takes exactly one input named 'eps', got "
              + request.getInputsList().stream().map(i -> i.getName()).toList());
    }
    var input = request.getInputs(0);
    if (!input.getDatatype().equals("FP32")) {
      throw InvalidArgument.of(
          "input eps: datatype must be FP32, got '" + input.getDatatype() + "'");
    }
    long[] got = input.getShapeList().stream().mapToLong(Long::longValue).toArray();
    long[] field = s.fieldShape();
    if (got.length != 4
        || got[0] < 1
        || got[1] != field[0]
        || got[2] != field[1]
        || got[3] != field[2]) {
      throw InvalidArgument.of(
          "input eps: shape "
              + Arrays.toString(got)
              + " is not [N, "
              + field[0]
              + ", "
              + field[1]
              + ", "
              + field[2]
              + "] with N >= 1");
    }
    if (got[0] > config.maxInferBatch()) {
      throw SamplerGrpcService.exhausted(
          "input eps: batch " + got[0] + " exceeds the limit of " + config.maxInferBatch());
    }
    int n = (int) got[0];
    int total = n * s.dim();
    float[] eps = new float[total];
    if (request.getRawInputContentsCount() > 0) {
      if (request.getRawInputContentsCount() != 1) {
        throw InvalidArgument.of("raw_input_contents must hold one entry per input (1)");
      }
      ByteString raw = request.getRawInputContents(0);
      if (raw.size() != (long) total * 4) {
        throw InvalidArgument.of(
            "input eps: raw contents hold " + raw.size() + " bytes, expected " + total * 4);
      }
      raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(eps);
    } else {
      var values = input.getContents().getFp32ContentsList();
      if (values.size() != total) {
        throw InvalidArgument.of(
            "input eps: fp32_contents hold " + values.size() + " values, expected " + total);
      }
      for (int k = 0; k < total; k++) {
        eps[k] = values.get(k);
      }
    }
    for (int k = 0; k < total; k++) {
      if (!Float.isFinite(eps[k])) {
        throw InvalidArgument.of("input eps: element " + k + " is " + eps[k]);
      }
    }
    float[] x = s.decode(eps, n);
    ByteBuffer b = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(x);
    return ModelInferResponse.newBuilder()
        .setModelName(m.identity().getModelName())
        .setModelVersion(m.versionLabel())
        .setId(request.getId())
        .addOutputs(
            ModelInferResponse.InferOutputTensor.newBuilder()
                .setName("x")
                .setDatatype("FP32")
                .addAllShape(input.getShapeList()))
        .addRawOutputContents(ByteString.copyFrom(b.array()))
        .build();
  }

  /** The served model with a reference taken (release it), or UNAVAILABLE / NOT_FOUND. */
  private LoadedModel acquire(String name, String version) {
    LoadedModel m = holder.acquire();
    if (m == null) {
      throw Status.UNAVAILABLE.withDescription("no model loaded yet").asRuntimeException();
    }
    try {
      requireServes(m, name, version);
    } catch (RuntimeException e) {
      m.release();
      throw e;
    }
    return m;
  }

  private static void requireServes(LoadedModel m, String name, String version) {
    if (!name.equals(m.identity().getModelName())) {
      throw Status.NOT_FOUND
          .withDescription(
              "model '"
                  + name
                  + "' is not served here (serving '"
                  + m.identity().getModelName()
                  + "')")
          .asRuntimeException();
    }
    if (!version.isEmpty() && !version.equals(m.versionLabel())) {
      throw Status.NOT_FOUND
          .withDescription(
              "version '" + version + "' is not loaded (serving " + m.versionLabel() + ")")
          .asRuntimeException();
    }
  }

  private static List<Long> shape(StudentModel s, long batch) {
    long[] f = s.fieldShape();
    return List.of(batch, f[0], f[1], f[2]);
  }
}
