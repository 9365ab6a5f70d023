package io.piddm.api.sampler;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.piddm.api.Tensors;
import io.piddm.physics.metrics.PdeError;
import io.piddm.proto.v1.GenerateRequest;
import io.piddm.proto.v1.GenerateResponse;
import io.piddm.proto.v1.LoadState;
import io.piddm.proto.v1.ModelRef;
import io.piddm.proto.v1.ModelStatusRequest;
import io.piddm.proto.v1.ModelStatusResponse;
import io.piddm.proto.v1.ReconstructProgress;
import io.piddm.proto.v1.ReconstructRequest;
import io.piddm.proto.v1.ReconstructResponse;
import io.piddm.proto.v1.ReconstructResult;
import io.piddm.proto.v1.RefinementSettings;
import io.piddm.proto.v1.SamplerServiceGrpc;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A client of the sampler (sampler.proto) for commands and programs: one-step generation and
 * streaming reconstructions, answers as float arrays. {@code piddm sample} and {@code piddm
 * reconstruct} are thin wrappers around it; other code can call it without picocli.
 *
 * <p>Errors are the sampler's {@link StatusRuntimeException}s, their description prefixed with the
 * sampler's address (INVALID_ARGUMENT for bad shapes or settings, NOT_FOUND for a model the sampler
 * does not serve, UNAVAILABLE when nothing is loaded or nothing listens there).
 */
public final class SamplerClient implements AutoCloseable {

  public static final String DEFAULT_TARGET = "localhost:9103";

  /** Largest answer accepted: 64 fields of 2 × 128² float32 are 8 MiB. */
  static final int MAX_INBOUND_BYTES = 64 * 1024 * 1024;

  /**
   * Which model a request asks for. Empty fields mean whatever the sampler serves; a set field must
   * match what it serves (NOT_FOUND otherwise), so a caller can pin the version it validated.
   */
  public record Model(String name, long version, String alias) {
    public static final Model SERVED = new Model("", 0, "");

    public Model {
      name = name == null ? "" : name;
      alias = alias == null ? "" : alias;
      if (version < 0) {
        throw new IllegalArgumentException("version must be >= 0, got " + version);
      }
    }

    ModelRef toProto() {
      return ModelRef.newBuilder().setModelName(name).setVersion(version).setAlias(alias).build();
    }
  }

  /**
   * PIDDM-ref: {@code steps} Adam steps on ε against λ_infer·|R|², the solution term where the
   * model has it, and a typicality penalty before the final evaluation. {@code learningRate} 0
   * means the sampler's default (0.05); {@code lambdaSolution} null the model's default.
   */
  public record Refinement(
      int steps,
      double lambdaInfer,
      double learningRate,
      double typicalityWeight,
      Double lambdaSolution) {
    public static final Refinement NONE = new Refinement(0, 0, 0, 0, null);

    RefinementSettings toProto() {
      RefinementSettings.Builder b =
          RefinementSettings.newBuilder()
              .setSteps(steps)
              .setLambdaInfer(lambdaInfer)
              .setLearningRate(learningRate)
              .setTypicalityWeight(typicalityWeight);
      if (lambdaSolution != null) {
        b.setLambdaSolution(lambdaSolution);
      }
      return b.build();
    }
  }

  /**
   * One progress message of a reconstruction: member, step (0 … steps), loss, PDE error of x_mix,
   * relative observation error, and the current field (C × H × W) on the steps the request asked
   * for it, else null.
   */
  public record Progress(
      int member,
      int step,
      int steps,
      double loss,
      double pdeError,
      double observationError,
      float[] field) {}

  private final String target;
  private final ManagedChannel channel;
  private final boolean ownsChannel;
  private final SamplerServiceGrpc.SamplerServiceBlockingStub stub;
  private Duration generateDeadline = Duration.ofMinutes(2);
  private Duration reconstructDeadline = Duration.ofHours(1);

  /** A channel to {@code target}, {@code host:port}: TLS when PIDDM_CA_FILE names a CA. */
  public SamplerClient(String target) {
    this(
        target,
        io.piddm.probe.GrpcChannels.forTarget(target)
            .maxInboundMessageSize(MAX_INBOUND_BYTES)
            .build(),
        true);
  }

  /** Over a channel the caller owns (and closes). */
  public SamplerClient(ManagedChannel channel) {
    this(channel.authority(), channel, false);
  }

  private SamplerClient(String target, ManagedChannel channel, boolean ownsChannel) {
    this.target = target;
    this.channel = channel;
    this.ownsChannel = ownsChannel;
    this.stub = SamplerServiceGrpc.newBlockingStub(channel);
  }

  public String target() {
    return target;
  }

  /** Deadlines for Generate (default 2 minutes) and a whole Reconstruct stream (1 hour). */
  public SamplerClient withDeadlines(Duration generate, Duration reconstruct) {
    this.generateDeadline = generate;
    this.reconstructDeadline = reconstruct;
    return this;
  }

  /** The stub, for RPCs this class does not wrap. */
  public SamplerServiceGrpc.SamplerServiceBlockingStub stub() {
    return stub;
  }

  /**
   * The model the sampler serves; UNAVAILABLE when it has none loaded yet (ModelStatus answers
   * either way).
   */
  public ServedModel served() {
    ModelStatusResponse status;
    try {
      status =
          stub.withDeadlineAfter(30, TimeUnit.SECONDS)
              .modelStatus(ModelStatusRequest.getDefaultInstance());
    } catch (StatusRuntimeException e) {
      throw named(e);
    }
    if (status.getState() != LoadState.LOAD_STATE_SERVING || !status.hasModel()) {
      throw named(
          Status.UNAVAILABLE
              .withDescription("no model loaded yet (state " + status.getState() + ")")
              .asRuntimeException());
    }
    return ServedModel.of(status.getModel());
  }

  /** {@code count} fields from {@code seed} in one network evaluation each. */
  public Generated generate(Model model, int count, long seed) {
    return generate(model, count, seed, Refinement.NONE);
  }

  /**
   * {@code count} fields from {@code seed}: the same seed and version give the same bytes whatever
   * the count (field i of count n is field i of any other count).
   */
  public Generated generate(Model model, int count, long seed, Refinement refinement) {
    GenerateRequest request =
        GenerateRequest.newBuilder()
            .setModel(model.toProto())
            .setCount(count)
            .setSeed(seed)
            .setRefinement(refinement.toProto())
            .build();
    long start = System.nanoTime();
    GenerateResponse r;
    try {
      r =
          stub.withDeadlineAfter(generateDeadline.toMillis(), TimeUnit.MILLISECONDS)
              .generate(request);
    } catch (StatusRuntimeException e) {
      throw named(e);
    }
    double roundTrip = (System.nanoTime() - start) / 1e6;
    ServedModel served = ServedModel.of(r.getModel());
    float[] all = Tensors.floats(r.getFields(), "fields");
    int[] shape = Tensors.shape(r.getFields());
    if (shape.length != 4 || shape[0] != count || all.length != count * served.dim()) {
      throw new IllegalStateException(
          "fields: the sampler sent shape "
              + r.getFields().getShapeList()
              + " for "
              + count
              + " fields of "
              + served.describe());
    }
    float[][] fields = new float[count][];
    double[] relative = new double[count];
    double[] consistency = new double[count];
    for (int i = 0; i < count; i++) {
      fields[i] = java.util.Arrays.copyOfRange(all, i * served.dim(), (i + 1) * served.dim());
      relative[i] = served.pdeError(all, i).map(PdeError::relative).orElse(Double.NaN);
      consistency[i] = served.solutionConsistency(all, i).orElse(Double.NaN);
    }
    return new Generated(
        served,
        seed,
        fields,
        r.getPdeErrorList().stream().mapToDouble(Double::doubleValue).toArray(),
        relative,
        consistency,
        r.getNetworkEvaluations(),
        r.getServerMillis(),
        roundTrip);
  }

  /** Runs {@code spec}; see {@link #reconstruct(ReconstructRequest, Consumer)}. */
  public Reconstructed reconstruct(ReconstructSpec spec, Consumer<Progress> progress) {
    return reconstruct(spec.toRequest(), progress);
  }

  /**
   * Streams a reconstruction: {@code progress} sees every progress message in order (on this
   * thread; the stream is read one message at a time, so a slow consumer slows the sampler rather
   * than filling memory), and the final result is returned. An exception from {@code progress}
   * cancels the call, which stops the optimisation on the sampler.
   */
  public Reconstructed reconstruct(ReconstructRequest request, Consumer<Progress> progress) {
    Context.CancellableContext context = Context.current().withCancellation();
    long start = System.nanoTime();
    ReconstructResult result = null;
    try {
      Context previous = context.attach();
      try {
        Iterator<ReconstructResponse> stream =
            stub.withDeadlineAfter(reconstructDeadline.toMillis(), TimeUnit.MILLISECONDS)
                .reconstruct(request);
        while (stream.hasNext()) {
          ReconstructResponse message = stream.next();
          if (message.hasProgress()) {
            ReconstructProgress p = message.getProgress();
            if (progress != null) {
              progress.accept(
                  new Progress(
                      p.getMember(),
                      p.getStep(),
                      p.getTotalSteps(),
                      p.getLoss(),
                      p.getPdeError(),
                      p.getObservationError(),
                      p.hasField() ? Tensors.floats(p.getField(), "progress field") : null));
            }
          } else if (message.hasResult()) {
            result = message.getResult();
          }
        }
      } finally {
        context.detach(previous);
      }
    } catch (StatusRuntimeException e) {
      throw named(e);
    } finally {
      context.cancel(null);
    }
    if (result == null) {
      throw new IllegalStateException("the sampler ended the stream without a result");
    }
    double roundTrip = (System.nanoTime() - start) / 1e6;
    ServedModel served = ServedModel.of(result.getModel());
    float[] mean = Tensors.floats(result.getMean(), "mean");
    float[] spread =
        result.hasSpread() ? Tensors.floats(result.getSpread(), "spread") : new float[mean.length];
    float[][] members = new float[result.getMembersCount()][];
    for (int m = 0; m < members.length; m++) {
      members[m] = Tensors.floats(result.getMembers(m), "member " + m);
    }
    return new Reconstructed(
        served,
        mean,
        spread,
        members,
        result.getPdeError(),
        served.pdeError(mean, 0).map(PdeError::relative).orElse(Double.NaN),
        result.getObservationError(),
        result.hasSettings()
            ? new Reconstructed.Settings(
                result.getSettings().getSteps(),
                result.getSettings().getLearningRate(),
                result.getSettings().getLambdaObs(),
                result.getSettings().getLambdaPde(),
                result.getSettings().getLambdaSolution())
            // a sampler from before results carried them: what was asked
            : new Reconstructed.Settings(
                result.getSteps(),
                request.getLearningRate(),
                request.getLambdaObs(),
                request.getLambdaPde(),
                request.getLambdaSolution()),
        result.getServerMillis(),
        roundTrip);
  }

  /** The same status with the sampler's address in front of its description. */
  private StatusRuntimeException named(StatusRuntimeException e) {
    Status s = e.getStatus();
    String description = s.getDescription() == null ? s.getCode().name() : s.getDescription();
    return s.withDescription("sampler " + target + ": " + description)
        .withCause(e.getCause())
        .asRuntimeException(e.getTrailers());
  }

  @Override
  public void close() throws InterruptedException {
    if (ownsChannel) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
