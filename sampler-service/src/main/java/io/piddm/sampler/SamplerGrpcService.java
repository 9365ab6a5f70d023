package io.piddm.sampler;

import com.google.protobuf.Timestamp;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.piddm.api.Tensors;
import io.piddm.inference.Reconstruction;
import io.piddm.inference.StudentModel;
import io.piddm.proto.v1.GenerateRequest;
import io.piddm.proto.v1.GenerateResponse;
import io.piddm.proto.v1.ModelRef;
import io.piddm.proto.v1.ModelStatusRequest;
import io.piddm.proto.v1.ModelStatusResponse;
import io.piddm.proto.v1.ReconstructProgress;
import io.piddm.proto.v1.ReconstructRequest;
import io.piddm.proto.v1.ReconstructResponse;
import io.piddm.proto.v1.ReconstructResult;
import io.piddm.proto.v1.RefinementSettings;
import io.piddm.proto.v1.SamplerServiceGrpc;
import io.piddm.service.StrictRequests;
import io.quarkus.grpc.GrpcService;
import jakarta.annotation.PreDestroy;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * SamplerService over the inference module. Work runs on the sampler's worker pool (never the gRPC
 * event loop); a request holds one {@link LoadedModel} from start to end, so it never mixes
 * versions. Client mistakes map to INVALID_ARGUMENT / NOT_FOUND / RESOURCE_EXHAUSTED with a precise
 * message; UNAVAILABLE before the first model is loaded.
 */
@GrpcService
public class SamplerGrpcService extends SamplerServiceGrpc.SamplerServiceImplBase {

  /** Requests that are not valid messages answer INVALID_ARGUMENT, not UNKNOWN. */
  @Override
  public ServerServiceDefinition bindService() {
    return StrictRequests.of(super.bindService());
  }

  private static final Logger LOG = Logger.getLogger(SamplerGrpcService.class);

  private final ModelHolder holder;
  private final SamplerConfig config;
  private final SamplerRequests.Limits limits;
  private final MeterRegistry meters;
  private final ThreadPoolExecutor workers;
  private final GenerateBatcher batcher;

  public SamplerGrpcService(ModelHolder holder, SamplerConfig config, MeterRegistry meters) {
    this.holder = holder;
    this.config = config;
    this.limits = SamplerRequests.Limits.of(config);
    this.meters = meters;
    this.workers = workerPool(config, "sampler-worker");
    DistributionSummary batchSizes =
        DistributionSummary.builder("piddm.sampler.generate.batch.size")
            .description("Fields per ONNX Runtime run of micro-batched Generate")
            .publishPercentileHistogram()
            .register(meters);
    Timer queued =
        Timer.builder("piddm.sampler.generate.queue")
            .description("Time a Generate request waited for its batch to run")
            .publishPercentileHistogram()
            .register(meters);
    this.batcher =
        config.batchMaxSize() > 1
            ? new GenerateBatcher(
                config.batchMaxSize(),
                config.batchMaxDelay(),
                config.workers(),
                batchSizes::record,
                nanos -> queued.record(nanos, TimeUnit.NANOSECONDS))
            : null;
  }

  static ThreadPoolExecutor workerPool(SamplerConfig config, String name) {
    AtomicInteger n = new AtomicInteger();
    return new ThreadPoolExecutor(
        config.workers(),
        config.workers(),
        60,
        TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(Math.max(1, config.maxQueue())),
        r -> {
          Thread t = new Thread(r, name + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  @PreDestroy
  void stop() {
    workers.shutdownNow();
    if (batcher != null) {
      batcher.close();
    }
  }

  @Override
  public void generate(GenerateRequest request, StreamObserver<GenerateResponse> out) {
    if (batcher != null && request.getRefinement().getSteps() == 0) {
      generateBatched(request, out);
    } else {
      submit(out, () -> out.onNext(doGenerate(request)), true);
    }
  }

  @Override
  public void reconstruct(ReconstructRequest request, StreamObserver<ReconstructResponse> out) {
    ServerCallStreamObserver<ReconstructResponse> call =
        (ServerCallStreamObserver<ReconstructResponse>) out;
    call.setOnCancelHandler(() -> {});
    submit(out, () -> doReconstruct(request, call), true);
  }

  @Override
  public void modelStatus(ModelStatusRequest request, StreamObserver<ModelStatusResponse> out) {
    ModelStatusResponse.Builder b =
        ModelStatusResponse.newBuilder()
            .setState(holder.state())
            .setFollowedAlias(config.model().isPresent() ? config.alias() : "")
            .setPendingVersion(holder.pendingVersion())
            .addAllRecentFailures(holder.recentFailures());
    LoadedModel m = holder.current();
    if (m != null) {
      b.setModel(m.identity())
          .setExecutionProvider(m.providerLabel())
          .setLoadedAt(
              Timestamp.newBuilder()
                  .setSeconds(m.loadedAt().getEpochSecond())
                  .setNanos(m.loadedAt().getNano()))
          .setManifest(m.manifest());
    }
    out.onNext(b.build());
    out.onCompleted();
  }

  private void submit(StreamObserver<?> out, Runnable work, boolean complete) {
    try {
      // the call's gRPC Context travels with the work, so its cancellation is visible there
      workers.execute(
          io.grpc.Context.current()
              .wrap(
                  () -> {
                    try {
                      work.run();
                      if (complete) {
                        out.onCompleted();
                      }
                    } catch (StatusRuntimeException e) {
                      out.onError(e);
                    } catch (CancellationException e) {
                      LOG.debugf("cancelled: %s", e.getMessage());
                    } catch (RuntimeException e) {
                      LOG.errorf(e, "sampler request failed");
                      out.onError(
                          Status.INTERNAL
                              .withDescription(e.toString())
                              .withCause(e)
                              .asRuntimeException());
                    }
                  }));
    } catch (RejectedExecutionException e) {
      out.onError(
          Status.RESOURCE_EXHAUSTED
              .withDescription(
                  "the sampler's request queue is full ("
                      + config.maxQueue()
                      + " waiting); retry later")
              .asRuntimeException());
    }
  }

  /**
   * The served model with a reference taken for this request (release it when done), or UNAVAILABLE
   * / NOT_FOUND when the request pins something else.
   */
  static LoadedModel acquire(ModelHolder holder, ModelRef ref) {
    LoadedModel m = holder.acquire();
    if (m == null) {
      throw Status.UNAVAILABLE
          .withDescription("no model loaded yet (state " + holder.state() + ")")
          .asRuntimeException();
    }
    try {
      requireServes(m, ref);
    } catch (RuntimeException e) {
      m.release();
      throw e;
    }
    return m;
  }

  private static void requireServes(LoadedModel m, ModelRef ref) {
    var id = m.identity();
    if (!ref.getModelName().isEmpty() && !ref.getModelName().equals(id.getModelName())) {
      throw Status.NOT_FOUND
          .withDescription(
              "model '"
                  + ref.getModelName()
                  + "' is not served here (serving '"
                  + id.getModelName()
                  + "')")
          .asRuntimeException();
    }
    if (ref.getVersion() != 0 && ref.getVersion() != id.getVersion()) {
      throw Status.NOT_FOUND
          .withDescription(
              "version "
                  + ref.getVersion()
                  + " is not loaded (serving version "
                  + id.getVersion()
                  + ")")
          .asRuntimeException();
    }
    if (!ref.getAlias().isEmpty() && !ref.getAlias().equals(id.getAlias())) {
      throw Status.NOT_FOUND
          .withDescription(
              "alias '"
                  + ref.getAlias()
                  + "' is not followed here (following '"
                  + id.getAlias()
                  + "')")
          .asRuntimeException();
    }
  }

  /**
   * Plain Generate through the micro-batcher: validated and queued on the calling thread, answered
   * from the batch's thread; no worker is held while the request waits for its batch.
   */
  private void generateBatched(GenerateRequest request, StreamObserver<GenerateResponse> out) {
    LoadedModel m;
    try {
      SamplerRequests.checkGenerate(request, limits);
      if (batcher.waiting() >= config.maxQueue()) {
        throw exhausted(
            "the sampler's generate queue is full ("
                + config.maxQueue()
                + " waiting); retry later");
      }
      m = acquire(holder, request.getModel());
    } catch (StatusRuntimeException e) {
      out.onError(e);
      return;
    }
    long start = System.nanoTime();
    batcher
        .submit(m, request.getSeed(), request.getCount())
        .whenComplete(
            (fields, error) -> {
              try {
                if (error != null) {
                  out.onError(
                      Status.INTERNAL
                          .withDescription("generate: " + error.getMessage())
                          .withCause(error)
                          .asRuntimeException());
                  return;
                }
                out.onNext(generateResponse(m, fields, request.getCount(), 0, start));
                out.onCompleted();
              } catch (StatusRuntimeException e) {
                LOG.debugf("generate answer not delivered: %s", e.getStatus());
              } finally {
                m.release();
              }
            });
  }

  private GenerateResponse doGenerate(GenerateRequest request) {
    SamplerRequests.checkGenerate(request, limits);
    int count = request.getCount();
    RefinementSettings ref = request.getRefinement();
    LoadedModel m = acquire(holder, request.getModel());
    StudentModel s = m.student();
    long start = System.nanoTime();
    try {
      float[] fields;
      if (ref.getSteps() > 0) {
        Reconstruction.Settings settings = SamplerRequests.refinement(ref, s);
        float[] eps = s.noise(request.getSeed(), count);
        float[] zeros = new float[s.dim()];
        Reconstruction.optimise(
            s,
            eps,
            zeros,
            zeros,
            count,
            settings,
            null,
            () -> io.grpc.Context.current().isCancelled());
        fields = s.decode(eps, count);
      } else {
        fields = s.generate(request.getSeed(), count);
      }
      return generateResponse(m, fields, count, ref.getSteps(), start);
    } catch (Reconstruction.DivergedException e) {
      throw InvalidArgument.of("refinement: " + e.getMessage());
    } catch (ai.onnxruntime.OrtException e) {
      throw Status.INTERNAL
          .withDescription("ONNX Runtime: " + e.getMessage())
          .withCause(e)
          .asRuntimeException();
    } finally {
      m.release();
    }
  }

  /** The answer for {@code count} fields from {@code m}, with each field's PDE error. */
  private GenerateResponse generateResponse(
      LoadedModel m, float[] fields, int count, int refinementSteps, long start) {
    StudentModel s = m.student();
    GenerateResponse.Builder b = GenerateResponse.newBuilder();
    for (int i = 0; i < count; i++) {
      b.addPdeError(s.pdeError(fields, i).absolute());
    }
    long[] shape = s.fieldShape();
    long nanos = System.nanoTime() - start;
    timer("piddm.sampler.generate", m).record(nanos, TimeUnit.NANOSECONDS);
    return b.setFields(Tensors.float32(fields, count, shape[0], shape[1], shape[2]))
        .setModel(m.identity())
        .setNetworkEvaluations(1 + refinementSteps)
        .setServerMillis(nanos / 1e6)
        .build();
  }

  private void doReconstruct(
      ReconstructRequest request, ServerCallStreamObserver<ReconstructResponse> call) {
    SamplerRequests.checkReconstruct(request, limits);
    LoadedModel m = acquire(holder, request.getModel());
    try {
      reconstructWith(m, request, call);
    } finally {
      m.release();
    }
  }

  private void reconstructWith(
      LoadedModel m,
      ReconstructRequest request,
      ServerCallStreamObserver<ReconstructResponse> call) {
    StudentModel s = m.student();
    long[] shape = s.fieldShape();
    SamplerRequests.ReconstructJob job = SamplerRequests.reconstructJob(request, s, limits);
    int members = job.members();
    int steps = job.settings().steps();
    long start = System.nanoTime();
    Consumer<ReconstructResponse> send = r -> sendFlowControlled(call, r);
    Reconstruction.Result result;
    try {
      result =
          Reconstruction.run(
              s,
              job.observations(),
              job.mask(),
              request.getSeed(),
              members,
              job.settings(),
              (member, step, loss, pde, obsErr, field) -> {
                if (step == steps && field != null && request.getFieldEvery() == 0) {
                  field = null; // the final field travels in the result
                }
                ReconstructProgress.Builder p =
                    ReconstructProgress.newBuilder()
                        .setMember(member)
                        .setStep(step)
                        .setLoss(loss)
                        .setPdeError(pde)
                        .setObservationError(obsErr)
                        .setTotalSteps(steps);
                if (field != null) {
                  p.setField(Tensors.float32(field, shape));
                }
                send.accept(ReconstructResponse.newBuilder().setProgress(p).build());
              },
              call::isCancelled);
    } catch (Reconstruction.DivergedException e) {
      throw InvalidArgument.of(e.getMessage());
    } catch (ai.onnxruntime.OrtException e) {
      throw Status.INTERNAL
          .withDescription("ONNX Runtime: " + e.getMessage())
          .withCause(e)
          .asRuntimeException();
    }
    double obsError = 0;
    for (double e : result.observationError()) {
      obsError += e / members;
    }
    long nanos = System.nanoTime() - start;
    timer("piddm.sampler.reconstruct", m).record(nanos, TimeUnit.NANOSECONDS);
    ReconstructResult.Builder r =
        ReconstructResult.newBuilder()
            .setMean(Tensors.float32(result.mean(), shape))
            .setSpread(Tensors.float32(result.spread(), shape))
            .setPdeError(result.meanPdeError())
            .setObservationError(obsError)
            .setModel(m.identity())
            .setSteps(result.steps())
            .setSettings(SamplerRequests.wire(job.settings()))
            .setServerMillis(nanos / 1e6);
    if (members > 1) {
      for (float[] f : result.members()) {
        r.addMembers(Tensors.float32(f, shape));
      }
    }
    send.accept(ReconstructResponse.newBuilder().setResult(r).build());
  }

  /** Waits (without buffering) until the client can take another message. */
  private static void sendFlowControlled(
      ServerCallStreamObserver<ReconstructResponse> call, ReconstructResponse message) {
    long waited = 0;
    while (!call.isReady()) {
      if (call.isCancelled()) {
        throw new CancellationException("client cancelled the reconstruction");
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CancellationException("interrupted");
      }
      if (++waited > 600_000) {
        throw Status.DEADLINE_EXCEEDED
            .withDescription("client did not read the stream for 10 minutes")
            .asRuntimeException();
      }
    }
    if (call.isCancelled()) {
      throw new CancellationException("client cancelled the reconstruction");
    }
    call.onNext(message);
  }

  private Timer timer(String name, LoadedModel m) {
    return Timer.builder(name)
        .tag("model", m.identity().getModelName())
        .tag("version", m.versionLabel())
        .tag("provider", m.providerLabel())
        .publishPercentileHistogram()
        .register(meters);
  }

  static StatusRuntimeException exhausted(String message) {
    return SamplerRequests.exhausted(message);
  }
}
