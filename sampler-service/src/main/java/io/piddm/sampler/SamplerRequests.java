package io.piddm.sampler;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.piddm.api.Tensors;
import io.piddm.inference.Reconstruction;
import io.piddm.inference.ReconstructionDefaults;
import io.piddm.inference.StudentModel;
import io.piddm.proto.v1.GenerateRequest;
import io.piddm.proto.v1.ObservedPoint;
import io.piddm.proto.v1.ReconstructDefaults;
import io.piddm.proto.v1.ReconstructOptimizer;
import io.piddm.proto.v1.ReconstructRequest;
import io.piddm.proto.v1.RefinementSettings;
import io.piddm.proto.v1.TaskKind;
import io.piddm.proto.v1.Tensor;
import java.util.Arrays;
import java.util.Optional;

/**
 * The sampler's request mapping in plain Java: limits, weights and masks checked, and a request
 * turned into what {@link Reconstruction} runs. Every refusal is a {@link StatusRuntimeException}
 * with the code the contract names (INVALID_ARGUMENT for a malformed request, RESOURCE_EXHAUSTED
 * over a limit), so the gRPC handler only translates and delegates. Checks that need no model run
 * before a model is taken.
 */
final class SamplerRequests {

  /**
   * Adam's learning rate on ε when a request leaves it 0: what measured best for the inverse and
   * sparse Darcy tasks (README); forward solves want 1.0.
   */
  static final double DEFAULT_LEARNING_RATE = 0.05;

  /** The request limits of {@link SamplerConfig}. */
  record Limits(int maxCount, int maxRefinementSteps, int maxSteps, int maxEnsemble) {
    static Limits of(SamplerConfig config) {
      return new Limits(
          config.maxCount(), config.maxRefinementSteps(), config.maxSteps(), config.maxEnsemble());
    }
  }

  /**
   * A Reconstruct request as {@link Reconstruction#run} takes it: observations and mask [C, H, W],
   * ensemble members, optimiser settings.
   */
  record ReconstructJob(
      float[] observations, float[] mask, int members, Reconstruction.Settings settings) {}

  private SamplerRequests() {}

  /** A Generate request's count and refinement settings against the limits. */
  static void checkGenerate(GenerateRequest request, Limits limits) {
    int count = request.getCount();
    if (count < 1) {
      throw InvalidArgument.of("count must be >= 1, got " + count);
    }
    if (count > limits.maxCount()) {
      throw exhausted("count " + count + " exceeds the limit of " + limits.maxCount());
    }
    RefinementSettings ref = request.getRefinement();
    if (ref.getSteps() < 0) {
      throw InvalidArgument.of("refinement.steps must be >= 0, got " + ref.getSteps());
    }
    if (ref.getSteps() > limits.maxRefinementSteps()) {
      throw exhausted(
          "refinement.steps "
              + ref.getSteps()
              + " exceeds the limit of "
              + limits.maxRefinementSteps());
    }
    nonNegative("refinement.lambda_infer", ref.getLambdaInfer());
    nonNegative("refinement.learning_rate", ref.getLearningRate());
    nonNegative("refinement.typicality_weight", ref.getTypicalityWeight());
  }

  /**
   * PIDDM-ref's optimiser for {@code model}: λ_obs 0, λ_pde = lambda_infer, the solution weight as
   * asked or the model's default, no intermediate fields.
   */
  static Reconstruction.Settings refinement(RefinementSettings ref, StudentModel model) {
    double lambdaSolution =
        solutionWeight(
            model,
            ref.hasLambdaSolution() ? ref.getLambdaSolution() : model.defaultRefSolutionWeight(),
            "refinement.lambda_solution");
    return new Reconstruction.Settings(
        ref.getSteps(),
        learningRate(ref.getLearningRate()),
        0,
        ref.getLambdaInfer(),
        lambdaSolution,
        ref.getTypicalityWeight(),
        0);
  }

  /**
   * A Reconstruct request's steps, ensemble and weights against the limits, as far as they can be
   * judged before the model is known (steps 0 and unset weights take the model's defaults).
   */
  static void checkReconstruct(ReconstructRequest request, Limits limits) {
    if (request.getSteps() < 0) {
      throw InvalidArgument.of(
          "steps must be >= 0 (0: the model's default), got " + request.getSteps());
    }
    checkSteps("steps", request.getSteps(), limits);
    if (request.getEnsembleSize() < 0) {
      throw InvalidArgument.of("ensemble_size must be >= 0, got " + request.getEnsembleSize());
    }
    if (request.getEnsembleSize() > limits.maxEnsemble()) {
      throw exhausted(
          "ensemble_size "
              + request.getEnsembleSize()
              + " exceeds the limit of "
              + limits.maxEnsemble());
    }
    if (request.getFieldEvery() < 0) {
      throw InvalidArgument.of("field_every must be >= 0, got " + request.getFieldEvery());
    }
    nonNegative("lambda_obs", request.getLambdaObs());
    nonNegative("lambda_pde", request.getLambdaPde());
    nonNegative("learning_rate", request.getLearningRate());
    if (request.hasLambdaSolution()
        && request.getLambdaObs() == 0
        && request.getLambdaPde() == 0
        && request.getLambdaSolution() == 0) {
      throw InvalidArgument.of(
          "lambda_obs, lambda_pde and lambda_solution are all 0: nothing to minimise");
    }
  }

  private static void checkSteps(String name, int steps, Limits limits) {
    if (steps > limits.maxSteps()) {
      throw exhausted(name + " " + steps + " exceeds the limit of " + limits.maxSteps());
    }
  }

  /**
   * The optimiser of a request on {@code model}: steps, learning rate and the weights as the
   * request gives them, or — where it leaves them unset (steps 0, learning rate 0, every weight 0
   * with no lambda_solution) — the model's defaults for the request's task ({@link
   * StudentModel#reconstructDefaults}); without defaults for the task, steps must be given, the
   * learning rate falls back to {@link #DEFAULT_LEARNING_RATE} and some weight must be positive.
   */
  static Reconstruction.Settings reconstructSettings(
      ReconstructRequest request, StudentModel model, Limits limits) {
    Optional<ReconstructionDefaults.TaskSettings> defaults =
        task(request.getTask()).flatMap(t -> model.reconstructDefaults().of(t));
    String none =
        " (task " + request.getTask() + ": the model has no reconstruction defaults for it)";
    int steps = request.getSteps();
    if (steps == 0) {
      steps =
          defaults
              .map(ReconstructionDefaults.TaskSettings::steps)
              .orElseThrow(() -> InvalidArgument.of("steps must be >= 1" + none));
      checkSteps("the model's default steps", steps, limits);
    }
    double learningRate =
        request.getLearningRate() != 0
            ? request.getLearningRate()
            : defaults
                .map(ReconstructionDefaults.TaskSettings::learningRate)
                .orElse(DEFAULT_LEARNING_RATE);
    boolean weightsUnset =
        request.getLambdaObs() == 0 && request.getLambdaPde() == 0 && !request.hasLambdaSolution();
    if (weightsUnset && defaults.isEmpty()) {
      throw InvalidArgument.of(
          "lambda_obs, lambda_pde and lambda_solution are all 0: nothing to minimise" + none);
    }
    double lambdaObs = weightsUnset ? defaults.get().lambdaObs() : request.getLambdaObs();
    double lambdaPde = weightsUnset ? defaults.get().lambdaPde() : request.getLambdaPde();
    double lambdaSolution =
        solutionWeight(
            model,
            weightsUnset ? defaults.get().lambdaSolution() : request.getLambdaSolution(),
            "lambda_solution");
    Reconstruction.Optimizer optimizer =
        switch (request.getOptimizer()) {
          case RECONSTRUCT_OPTIMIZER_ADAM -> Reconstruction.Optimizer.ADAM;
          case RECONSTRUCT_OPTIMIZER_LBFGS -> Reconstruction.Optimizer.LBFGS;
          case RECONSTRUCT_OPTIMIZER_UNSPECIFIED ->
              defaults
                  .map(ReconstructionDefaults.TaskSettings::optimizer)
                  .orElse(Reconstruction.Optimizer.ADAM);
          case UNRECOGNIZED ->
              throw InvalidArgument.of(
                  "optimizer " + request.getOptimizerValue() + " is not a known optimizer");
        };
    return new Reconstruction.Settings(
        steps,
        learningRate,
        lambdaObs,
        lambdaPde,
        lambdaSolution,
        0,
        request.getFieldEvery(),
        optimizer);
  }

  /** The steps, learning rate and weights of a run, as a result reports them. */
  static ReconstructDefaults wire(Reconstruction.Settings settings) {
    return ReconstructDefaults.newBuilder()
        .setSteps(settings.steps())
        .setLearningRate(settings.learningRate())
        .setLambdaObs(settings.lambdaObs())
        .setLambdaPde(settings.lambdaPde())
        .setLambdaSolution(settings.lambdaSolution())
        .setOptimizer(ReconstructOptimizer.valueOf("RECONSTRUCT_OPTIMIZER_" + settings.optimizer()))
        .build();
  }

  /** The defaults' task of a wire task kind; none for an unspecified one. */
  static Optional<ReconstructionDefaults.Task> task(TaskKind kind) {
    return switch (kind) {
      case TASK_KIND_FORWARD -> Optional.of(ReconstructionDefaults.Task.FORWARD);
      case TASK_KIND_INVERSE -> Optional.of(ReconstructionDefaults.Task.INVERSE);
      case TASK_KIND_RECONSTRUCTION -> Optional.of(ReconstructionDefaults.Task.RECONSTRUCTION);
      case TASK_KIND_UNSPECIFIED, UNRECOGNIZED -> Optional.empty();
    };
  }

  /**
   * The job of a {@linkplain #checkReconstruct checked} request on {@code model}: observations and
   * mask read against the model's field shape (a dense 0/1 mask, points on the grid, or none), the
   * observation term only with observations and an observed entry, a solution weight the graph can
   * take.
   */
  static ReconstructJob reconstructJob(
      ReconstructRequest request, StudentModel model, Limits limits) {
    Reconstruction.Settings settings = reconstructSettings(request, model, limits);
    long[] shape = model.fieldShape();
    int d = model.dim();
    float[] observations =
        request.hasObservations()
            ? tensor(request.getObservations(), shape, "observations", false)
            : new float[d];
    float[] mask =
        switch (request.getMaskCase()) {
          case DENSE_MASK -> denseMask(request, shape);
          case POINTS -> pointMask(request, shape, d);
          case MASK_NOT_SET -> new float[d];
        };
    if (settings.lambdaObs() > 0) {
      if (!request.hasObservations()) {
        throw InvalidArgument.of("lambda_obs > 0 needs observations");
      }
      boolean anyObserved = false;
      for (float v : mask) {
        anyObserved |= v != 0;
      }
      if (!anyObserved) {
        throw InvalidArgument.of("lambda_obs > 0 needs a non-empty mask (no entry is observed)");
      }
    }
    return new ReconstructJob(observations, mask, Math.max(1, request.getEnsembleSize()), settings);
  }

  /** A request's tensor as floats ({@link Tensors#read}); INVALID_ARGUMENT when malformed. */
  private static float[] tensor(Tensor t, long[] shape, String what, boolean allowBool) {
    try {
      return Tensors.read(t, shape, what, allowBool);
    } catch (IllegalArgumentException e) {
      throw InvalidArgument.of(e.getMessage());
    }
  }

  private static float[] denseMask(ReconstructRequest request, long[] shape) {
    float[] mask = tensor(request.getDenseMask(), shape, "dense_mask", true);
    for (int k = 0; k < mask.length; k++) {
      if (mask[k] != 0 && mask[k] != 1) {
        throw InvalidArgument.of("dense_mask: element " + k + " is " + mask[k] + ", not 0 or 1");
      }
    }
    return mask;
  }

  private static float[] pointMask(ReconstructRequest request, long[] shape, int d) {
    float[] mask = new float[d];
    for (ObservedPoint p : request.getPoints().getPointsList()) {
      if (p.getChannel() < 0
          || p.getChannel() >= shape[0]
          || p.getRow() < 0
          || p.getRow() >= shape[1]
          || p.getCol() < 0
          || p.getCol() >= shape[2]) {
        throw InvalidArgument.of(
            "points: ("
                + p.getChannel()
                + ", "
                + p.getRow()
                + ", "
                + p.getCol()
                + ") is outside the grid [C, H, W] = "
                + Arrays.toString(shape));
      }
      mask[(int) ((p.getChannel() * shape[1] + p.getRow()) * shape[2] + p.getCol())] = 1;
    }
    return mask;
  }

  static double learningRate(double requested) {
    return requested == 0 ? DEFAULT_LEARNING_RATE : requested;
  }

  /** A solution weight this model's graph can take, else INVALID_ARGUMENT naming {@code name}. */
  private static double solutionWeight(StudentModel model, double v, String name) {
    try {
      model.requireSolutionWeight(name, v);
    } catch (IllegalArgumentException e) {
      throw InvalidArgument.of(e.getMessage());
    }
    return v;
  }

  static void nonNegative(String name, double v) {
    if (!Double.isFinite(v)) {
      throw InvalidArgument.of(name + " must be finite, got " + v);
    }
    if (v < 0) {
      throw InvalidArgument.of(name + " must be >= 0, got " + v);
    }
  }

  static StatusRuntimeException exhausted(String message) {
    return Status.RESOURCE_EXHAUSTED.withDescription(message).asRuntimeException();
  }
}
