package io.piddm.diffusion.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import io.piddm.diffusion.djl.DjlOps;
import io.piddm.diffusion.djl.DjlParameters;
import io.piddm.diffusion.edm.Edm;
import io.piddm.diffusion.edm.GuidanceLoss;
import io.piddm.diffusion.edm.GuidedSampler;
import io.piddm.diffusion.edm.HeunSampler;
import io.piddm.diffusion.edm.Normalization;
import io.piddm.diffusion.model.TrainedModel;
import io.piddm.diffusion.net.OutputConstraint;
import io.piddm.diffusion.net.Student;
import io.piddm.diffusion.net.UNet;
import io.piddm.physics.dataset.DatasetSidecar;
import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.metrics.Moments;
import io.piddm.physics.pde.FieldConstraints;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.random.Seeds;
import io.piddm.physics.render.FieldRenderer;
import io.piddm.physics.residual.ResidualSpec;
import io.piddm.physics.task.DownstreamTask;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import org.jetbrains.bio.npy.NpyFile;

/**
 * Measures a trained model against a held-out reference set made by the solver with another seed:
 * the reference itself (ground truth row), unconditional samples (a teacher with Heun, a student in
 * one evaluation) judged by {@link SampleEvaluation}, and, for a teacher, the DiffusionPDE-style
 * guided baseline on the PDE's {@link DownstreamTask}s. Writes {@code evaluation.json} and PNGs.
 */
public final class ModelEvaluation {

  /**
   * What to run. {@code tasks} = 0 skips the guided tasks; {@code sparsePoints} are the sparse
   * task's observations.
   */
  public record Settings(
      int samples,
      long seed,
      int heunSteps,
      int batch,
      int tasks,
      GuidedSampler.Settings guided,
      DownstreamTask.SparsePoints sparsePoints) {
    public Settings {
      if (samples < 2 || heunSteps < 1 || batch < 1 || tasks < 0) {
        throw new IllegalArgumentException(
            "evaluation: at least 2 samples, 1 Heun step, batch ≥ 1 and tasks ≥ 0");
      }
    }
  }

  /** The errors of one scored target of a downstream task over {@code count} reference fields. */
  public record TaskReport(
      String method,
      String task,
      String observed,
      String estimated,
      int count,
      long seed,
      int networkEvaluations,
      double secondsPerTask,
      double relativeL2Mean,
      double relativeL2Std,
      Double errorRateMean,
      Double errorRateStd) {}

  /** Everything one evaluation measured. */
  public record Result(
      String model,
      String kind,
      String reference,
      Map<String, Object> settings,
      List<SampleEvaluation.Report> samples,
      List<TaskReport> tasks) {}

  private ModelEvaluation() {}

  public static Result evaluate(
      Path modelDir, Path referenceDir, Settings settings, Path outputDir, IntConsumer progress)
      throws IOException {
    TrainedModel model = TrainedModel.read(modelDir);
    Pde pde = model.pdeKind();
    DatasetSidecar sidecar = DatasetSidecar.read(referenceDir);
    if (!pde.id().equals(sidecar.pde()) || sidecar.resolution() != model.resolution()) {
      throw new IllegalArgumentException(
          "reference "
              + referenceDir
              + " holds "
              + sidecar.pde()
              + " at "
              + sidecar.resolution()
              + "², the model is "
              + pde.id()
              + " at "
              + model.resolution()
              + "²");
    }
    int size = model.resolution();
    int channels = pde.channels().size();
    Grid grid = new Grid(size);
    float[] referenceData =
        NpyFile.read(referenceDir.resolve("fields.npy"), Integer.MAX_VALUE).asFloatArray();
    List<List<Field>> reference =
        SampleEvaluation.fields(referenceData, sidecar.count(), channels, size);

    List<SampleEvaluation.Report> reports = new ArrayList<>();
    List<TaskReport> tasks = new ArrayList<>();
    Files.createDirectories(outputDir);
    ResidualSpec judged = model.residualSpec();
    SampleEvaluation.Report truth =
        SampleEvaluation.evaluate(
            "ground-truth", judged, grid, reference, reference, sidecar.seed(), 0, 0);
    SampleEvaluation.write(truth, pde, reference, outputDir);
    reports.add(truth);

    UNet net = model.net();
    Edm edm = model.edm();
    Normalization normalization = model.normalization();
    try (NDManager manager = NDManager.newBaseManager();
        DjlParameters weights = model.loadWeights(modelDir, manager)) {
      boolean teacher = TrainedModel.TEACHER.equals(model.kind());
      HeunSampler heun = new HeunSampler(edm, settings.heunSteps());
      Student student = model.student();
      DjlOps ops = new DjlOps();
      String method = teacher ? "teacher-heun" + settings.heunSteps() : "piddm-1";
      int evaluations = teacher ? heun.networkEvaluations() : 1;
      int length = channels * size * size;
      float[] generated = new float[settings.samples() * length];
      long start = System.nanoTime();
      for (int from = 0; from < settings.samples(); from += settings.batch()) {
        int n = Math.min(settings.batch(), settings.samples() - from);
        try (NDManager scope = manager.newSubManager()) {
          NDArray eps =
              scope.create(noise(settings.seed(), from, n, length), shape(n, channels, size));
          NDArray normalised =
              teacher ? heun.sample(weights::get, eps) : student.forward(ops, weights::get, eps);
          System.arraycopy(
              normalization.toPhysical(normalised).toFloatArray(),
              0,
              generated,
              from * length,
              n * length);
        }
        progress.accept(from + n);
      }
      double seconds = (System.nanoTime() - start) / 1e9 / settings.samples();
      List<List<Field>> samples =
          SampleEvaluation.fields(generated, settings.samples(), channels, size);
      SampleEvaluation.Report report =
          SampleEvaluation.evaluate(
              method, judged, grid, samples, reference, settings.seed(), evaluations, seconds);
      SampleEvaluation.write(report, pde, samples, outputDir);
      reports.add(report);

      if (teacher && settings.tasks() > 0) {
        GuidedSampler guided =
            new GuidedSampler(edm, normalization, judged, grid, settings.guided());
        int count = Math.min(settings.tasks(), reference.size());
        Estimator withGuidance =
            (scope, k, observed, mask) ->
                guided.sample(
                    weights::get,
                    // task noise from another stream than the unconditional samples'
                    scope.create(
                        noise(settings.seed() + 1_000_003L, k, 1, length),
                        shape(1, channels, size)),
                    observed,
                    mask);
        for (DownstreamTask d : DownstreamTask.of(pde, settings.sparsePoints())) {
          tasks.addAll(
              task(
                  "teacher-guided",
                  guided.networkEvaluations(),
                  d,
                  withGuidance,
                  pde,
                  size,
                  normalization,
                  manager,
                  referenceData,
                  count,
                  settings.seed(),
                  outputDir));
        }
      }
    }
    Map<String, Object> described = new LinkedHashMap<>();
    described.put("samples", settings.samples());
    described.put("seed", settings.seed());
    described.put("heunSteps", settings.heunSteps());
    described.put("tasks", settings.tasks());
    described.put("guided", settings.guided());
    described.put("sparsePoints", settings.sparsePoints());
    Result result =
        new Result(
            modelDir.toAbsolutePath().toString(),
            model.kind(),
            referenceDir.toAbsolutePath().toString(),
            described,
            reports,
            tasks);
    Files.writeString(
        outputDir.resolve("evaluation.json"),
        new GsonBuilder()
            .setPrettyPrinting()
            .serializeSpecialFloatingPointValues()
            .create()
            .toJson(result),
        StandardCharsets.UTF_8);
    return result;
  }

  /** How a method estimates the fields of task field {@code k} from normalised observations. */
  @FunctionalInterface
  interface Estimator {
    NDArray estimate(NDManager scope, int k, NDArray observed, NDArray mask);
  }

  /**
   * The no-model baseline of the downstream tasks on the first {@code count} reference fields:
   * {@link DataSpaceOptimisation} of the guided teacher's objective (weights from {@code weights}),
   * the sparse task observing {@code sparsePoints}, with the residual {@code spec} of the model it
   * is compared with.
   */
  public static List<TaskReport> dataSpaceTasks(
      Path referenceDir,
      ResidualSpec spec,
      Normalization normalization,
      GuidedSampler.Settings weights,
      DataSpaceOptimisation.Settings settings,
      DownstreamTask.SparsePoints sparsePoints,
      int count,
      Path outputDir)
      throws IOException {
    DatasetSidecar sidecar = DatasetSidecar.read(referenceDir);
    Pde pde = Pde.parse(sidecar.pde());
    if (spec.pde() != pde) {
      throw new IllegalArgumentException(
          "reference " + referenceDir + " holds " + pde.id() + ", the spec is " + spec.id());
    }
    float[] referenceData =
        NpyFile.read(referenceDir.resolve("fields.npy"), Integer.MAX_VALUE).asFloatArray();
    GuidanceLoss loss =
        new GuidanceLoss(
            spec,
            new Grid(sidecar.resolution()),
            normalization,
            weights.zetaObservation(),
            weights.zetaPde());
    // the baseline knows the boundary conditions and ranges too: projected after every step
    OutputConstraint constraint =
        OutputConstraint.of(
            FieldConstraints.of(pde),
            normalization.mean(),
            normalization.std(),
            sidecar.resolution());
    Estimator direct =
        (scope, k, observed, mask) ->
            DataSpaceOptimisation.optimise(loss, observed, mask, settings, constraint);
    List<TaskReport> reports = new ArrayList<>();
    Files.createDirectories(outputDir);
    try (NDManager manager = NDManager.newBaseManager()) {
      for (DownstreamTask d : DownstreamTask.of(pde, sparsePoints)) {
        reports.addAll(
            task(
                "data-space",
                0,
                d,
                direct,
                pde,
                sidecar.resolution(),
                normalization,
                manager,
                referenceData,
                Math.min(count, sidecar.count()),
                0,
                outputDir));
      }
    }
    return reports;
  }

  /**
   * Observes each of the first {@code count} reference fields through {@code d}'s mask, estimates
   * with {@code estimator}, and scores each of the task's targets against the solver's field.
   */
  private static List<TaskReport> task(
      String method,
      int networkEvaluations,
      DownstreamTask d,
      Estimator estimator,
      Pde pde,
      int size,
      Normalization normalization,
      NDManager manager,
      float[] referenceData,
      int count,
      long seed,
      Path outputDir)
      throws IOException {
    int channels = pde.channels().size();
    int plane = size * size;
    int length = channels * plane;
    List<DownstreamTask.Target> targets = d.targets();
    double[][] relative = new double[targets.size()][count];
    double[][] errorRate = new double[targets.size()][count];
    List<FieldRenderer.Panel> panels = new ArrayList<>();
    long start = System.nanoTime();
    for (int k = 0; k < count; k++) {
      float[] truth = Arrays.copyOfRange(referenceData, k * length, (k + 1) * length);
      float[] normalisedTruth = truth.clone();
      normalization.normaliseInPlace(normalisedTruth, plane);
      float[] mask = d.mask(channels, size, k);
      try (NDManager scope = manager.newSubManager()) {
        NDArray sample =
            estimator.estimate(
                scope,
                k,
                scope.create(normalisedTruth, shape(1, channels, size)),
                scope.create(mask, shape(1, channels, size)));
        float[] estimate = normalization.toPhysical(sample).toFloatArray();
        for (int t = 0; t < targets.size(); t++) {
          DownstreamTask.Target target = targets.get(t);
          relative[t][k] = target.relativeL2(estimate, truth, size);
          errorRate[t][k] = target.errorRate(estimate, truth, size);
          if (k < 2) {
            Field truePart = target.of(truth, size);
            Field estimatedPart = target.of(estimate, size);
            panels.add(
                new FieldRenderer.Panel(observedPart(truth, mask, target, size), "observed"));
            panels.add(new FieldRenderer.Panel(truePart, "true " + target.name()));
            panels.add(new FieldRenderer.Panel(estimatedPart, method + " " + target.name()));
            panels.add(
                new FieldRenderer.Panel(
                    difference(estimatedPart, truePart), "error " + target.name()));
          }
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9 / count;
    FieldRenderer.writePng(
        FieldRenderer.sheet(panels, 4), outputDir.resolve(method + "-" + d.name() + ".png"));
    List<TaskReport> reports = new ArrayList<>();
    for (int t = 0; t < targets.size(); t++) {
      boolean rated = targets.get(t).errorRate();
      reports.add(
          new TaskReport(
              method,
              d.name(),
              d.observed(),
              targets.get(t).name(),
              count,
              seed,
              networkEvaluations,
              seconds,
              Moments.mean(relative[t]),
              Moments.sampleStd(relative[t]),
              rated ? Moments.mean(errorRate[t]) : null,
              rated ? Moments.sampleStd(errorRate[t]) : null));
    }
    return reports;
  }

  /**
   * What the method was given of the target's channel: the truth where observed, 0 elsewhere, or
   * the first observed channel's values where the target's own channel has no observed entry.
   */
  private static Field observedPart(
      float[] truth, float[] mask, DownstreamTask.Target target, int size) {
    int plane = size * size;
    int channel =
        anyObserved(mask, target.channel(), plane)
            ? target.channel()
            : IntStream.range(0, mask.length / plane)
                .filter(c -> anyObserved(mask, c, plane))
                .findFirst()
                .orElse(target.channel());
    double[] values = new double[plane];
    for (int p = 0; p < plane; p++) {
      values[p] = mask[channel * plane + p] * truth[channel * plane + p];
    }
    return new Field(size, size, values);
  }

  private static boolean anyObserved(float[] mask, int channel, int plane) {
    for (int p = 0; p < plane; p++) {
      if (mask[channel * plane + p] > 0) {
        return true;
      }
    }
    return false;
  }

  /** Standard-normal noise for samples {@code from … from+n−1}, each from its own stream. */
  public static float[] noise(long seed, int from, int n, int length) {
    float[] eps = new float[n * length];
    for (int b = 0; b < n; b++) {
      Random random = Seeds.stream(seed, 31, from + b);
      for (int k = 0; k < length; k++) {
        eps[b * length + k] = (float) random.nextGaussian();
      }
    }
    return eps;
  }

  private static Shape shape(int n, int channels, int size) {
    return new Shape(n, channels, size, size);
  }

  private static Field difference(Field a, Field b) {
    double[] v = new double[a.values().length];
    for (int k = 0; k < v.length; k++) {
      v[k] = a.values()[k] - b.values()[k];
    }
    return new Field(a.rows(), a.cols(), v);
  }
}
