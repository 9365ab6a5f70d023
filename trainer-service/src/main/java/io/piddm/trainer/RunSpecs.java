package io.piddm.trainer;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.piddm.diffusion.distill.DistillSettings;
import io.piddm.diffusion.train.TrainSettings;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpecs;
import io.piddm.pipeline.Profiles;
import io.piddm.pipeline.RunPlan;
import io.piddm.proto.v1.RunSpec;
import io.piddm.proto.v1.TeacherSettings;
import java.util.List;
import java.util.Locale;

/**
 * A RunSpec from the wire as a {@link RunPlan}: the profile's defaults ({@link Profiles}) with
 * every field the spec sets on top (zero means "the profile's default"). Anything invalid, or past
 * the trainer's {@link RunLimits}, is INVALID_ARGUMENT naming the field; an import path is checked
 * by {@link DatasetImports} (PERMISSION_DENIED, NOT_FOUND or INVALID_ARGUMENT).
 */
final class RunSpecs {

  private RunSpecs() {}

  static RunPlan plan(RunSpec spec, int defaultThreads, RunLimits limits, DatasetImports imports) {
    try {
      return new Resolver(limits).resolve(spec, defaultThreads, imports);
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
  }

  /** One spec's resolution against one trainer's limits. */
  private record Resolver(RunLimits limits) {

    private RunPlan resolve(RunSpec spec, int defaultThreads, DatasetImports imports) {
      Pde pde = pde(spec.getPde());
      String profile = spec.getProfile().isEmpty() ? "quick" : spec.getProfile();
      int resolution =
          (int)
              RunLimits.within(
                  spec.getResolution(), limits.resolution(), "resolution", "max-resolution");

      var ds = spec.getDataset();
      if (!ds.getParametersMap().isEmpty()) {
        throw new IllegalArgumentException(
            "dataset.parameters: generator overrides are not supported; the solver's standard"
                + " settings are used");
      }
      DatasetImports.Accepted imported =
          ds.getImportPath().isEmpty() ? null : imports.accept(ds.getImportPath(), pde);
      if (imported != null) {
        int size = imported.shape().size();
        if (resolution != 0 && resolution != size) {
          throw new IllegalArgumentException(
              "resolution is "
                  + resolution
                  + " but dataset.import_path holds "
                  + size
                  + "² fields");
        }
        resolution = size;
      }
      RunPlan d = Profiles.defaults(profile, pde, resolution);
      int count =
          (int) fields(ds.getCount(), imported != null ? 0 : d.dataset().count(), "dataset.count");
      int heldOut =
          (int) fields(ds.getHeldOutCount(), d.dataset().heldOutCount(), "dataset.held_out_count");
      if (imported != null) {
        int available = imported.shape().count();
        int training = count == 0 ? available - heldOut : count;
        if (training < 1 || (long) training + heldOut > available) {
          throw new IllegalArgumentException(
              "dataset.import_path holds "
                  + available
                  + " fields: not enough for "
                  + (count == 0 ? "at least 1" : training)
                  + " training and "
                  + heldOut
                  + " held-out fields");
        }
      }
      RunPlan.Dataset dataset =
          new RunPlan.Dataset(
              count,
              ds.getSeed() != 0 ? ds.getSeed() : d.dataset().seed(),
              heldOut,
              ds.getHeldOutSeed() != 0 ? ds.getHeldOutSeed() : d.dataset().heldOutSeed(),
              imported == null ? null : imported.file());

      long seed = spec.getSeed() != 0 ? spec.getSeed() : d.teacher().training().seed();
      TeacherSettings t = spec.getTeacher();
      TrainSettings dt = d.teacher().training();
      RunPlan.Teacher teacher =
          new RunPlan.Teacher(
              t.getPreset().isEmpty() ? d.teacher().preset() : t.getPreset(),
              new TrainSettings(
                  (int) batch(t.getBatchSize(), dt.batchSize(), "teacher.batch_size"),
                  steps(t.getSteps(), dt.steps(), "teacher.steps"),
                  positive(t.getLearningRate(), dt.learningRate(), "teacher.learning_rate"),
                  steps(t.getWarmupSteps(), dt.warmupSteps(), "teacher.warmup_steps"),
                  positive(t.getGradClip(), dt.gradClip(), "teacher.grad_clip"),
                  fraction(t.getEmaDecay(), dt.emaDecay(), "teacher.ema_decay"),
                  seed,
                  steps(t.getCheckpointEvery(), dt.checkpointEvery(), "teacher.checkpoint_every"),
                  null,
                  dt.finalLearningRateFraction()),
              (int)
                  samplerSteps(
                      t.getSamplerSteps(), d.teacher().samplerSteps(), "teacher.sampler_steps"));

      var pb = spec.getPairBank();
      DistillSettings dd = d.distill();
      var st = spec.getStudent();
      if (st.hasLambdaTrain()
          && !(st.getLambdaTrain() >= 0 && Double.isFinite(st.getLambdaTrain()))) {
        throw new IllegalArgumentException(
            "student.lambda_train must be finite and not negative, got " + st.getLambdaTrain());
      }
      if (!st.getResidualSpecId().isEmpty()
          && !st.getResidualSpecId().equals(ResidualSpecs.training(pde).id())) {
        throw new IllegalArgumentException(
            "student.residual_spec_id: the student trains with "
                + ResidualSpecs.training(pde).id()
                + ", got \""
                + st.getResidualSpecId()
                + "\"");
      }
      if (pb.getRefreshFraction() < 0 || pb.getRefreshFraction() > 1) {
        throw new IllegalArgumentException(
            "pair_bank.refresh_fraction must be in [0, 1], got " + pb.getRefreshFraction());
      }
      DistillSettings distill =
          new DistillSettings(
              (int) fields(pb.getSize(), dd.bankSize(), "pair_bank.size"),
              (int)
                  samplerSteps(pb.getTeacherSteps(), dd.teacherSteps(), "pair_bank.teacher_steps"),
              steps(pb.getRefreshEvery(), dd.refreshEvery(), "pair_bank.refresh_every"),
              pb.getRefreshFraction() != 0 ? pb.getRefreshFraction() : dd.refreshFraction(),
              st.hasLambdaTrain() ? st.getLambdaTrain() : dd.lambdaTrain(),
              dd.generationBatch(),
              dd.residualWarmupSteps(),
              dd.residualRampSteps(),
              dd.coefficientGradient(),
              dd.solutionWeight(),
              dd.pseudoHuberScale(),
              dd.solvedTargets(),
              dd.marginalWeight());
      TrainSettings defaults = d.student();
      TrainSettings student =
          new TrainSettings(
              (int) batch(st.getBatchSize(), defaults.batchSize(), "student.batch_size"),
              steps(st.getSteps(), defaults.steps(), "student.steps"),
              positive(st.getLearningRate(), defaults.learningRate(), "student.learning_rate"),
              defaults.warmupSteps(),
              defaults.gradClip(),
              defaults.emaDecay(),
              seed,
              steps(
                  st.getCheckpointEvery(), defaults.checkpointEvery(), "student.checkpoint_every"),
              null,
              defaults.finalLearningRateFraction());

      var ev = spec.getEvaluation();
      RunLimits.within(ev.getSeedsCount(), limits.seeds(), "evaluation.seeds", "max-seeds");
      RunPlan.Evaluation evaluation =
          new RunPlan.Evaluation(
              (int) fields(ev.getSamples(), d.evaluation().samples(), "evaluation.samples"),
              ev.getSeedsCount() > 0 ? List.copyOf(ev.getSeedsList()) : d.evaluation().seeds());

      var pub = spec.getPublish();
      RunPlan.Publish publish =
          new RunPlan.Publish(
              pub.getModelName().isEmpty() ? d.publish().modelName() : pub.getModelName(),
              pub.getRequestAlias(),
              pub.getSkip(),
              spec.getLabelsMap());

      String device = spec.getDevice().isEmpty() ? "auto" : spec.getDevice();
      if (!List.of("auto", "cpu", "gpu").contains(device)) {
        throw new IllegalArgumentException(
            "device must be auto, cpu or gpu, got \"" + spec.getDevice() + "\"");
      }
      int threads =
          spec.getThreads() != 0
              ? (int)
                  RunLimits.within(spec.getThreads(), limits.threads(), "threads", "max-threads")
              : defaultThreads;
      return new RunPlan(
          pde,
          d.resolution(),
          profile,
          dataset,
          teacher,
          distill,
          student,
          evaluation,
          publish,
          threads);
    }

    private long fields(long given, long fallback, String field) {
      return orDefault(RunLimits.within(given, limits.fields(), field, "max-fields"), fallback);
    }

    private long steps(long given, long fallback, String field) {
      return orDefault(RunLimits.within(given, limits.steps(), field, "max-steps"), fallback);
    }

    private long batch(long given, long fallback, String field) {
      return orDefault(RunLimits.within(given, limits.batch(), field, "max-batch"), fallback);
    }

    private long samplerSteps(long given, long fallback, String field) {
      return orDefault(
          RunLimits.within(given, limits.samplerSteps(), field, "max-sampler-steps"), fallback);
    }
  }

  /** Zero on the wire means "the profile's default". */
  private static long orDefault(long given, long fallback) {
    return given != 0 ? given : fallback;
  }

  /** The wire's Pde enum as the physics module's. */
  static Pde pde(io.piddm.proto.v1.Pde wire) {
    if (wire == io.piddm.proto.v1.Pde.PDE_UNSPECIFIED
        || wire == io.piddm.proto.v1.Pde.UNRECOGNIZED) {
      throw new IllegalArgumentException("pde must be set (PDE_DARCY, PDE_POISSON, ...)");
    }
    String name = wire.name().substring("PDE_".length()).toLowerCase(Locale.ROOT);
    try {
      return Pde.parse(name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("pde " + wire.name() + " cannot be trained yet");
    }
  }

  static io.piddm.proto.v1.Pde wire(Pde pde) {
    return io.piddm.proto.v1.Pde.valueOf("PDE_" + pde.id().toUpperCase(Locale.ROOT));
  }

  private static double positive(double given, double fallback, String field) {
    if (given < 0 || Double.isNaN(given) || Double.isInfinite(given)) {
      throw new IllegalArgumentException(field + " must be positive and finite, got " + given);
    }
    return given != 0 ? given : fallback;
  }

  private static double fraction(double given, double fallback, String field) {
    if (!(given >= 0 && given < 1)) {
      throw new IllegalArgumentException(field + " must be in [0, 1), got " + given);
    }
    return given != 0 ? given : fallback;
  }

  static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }
}
