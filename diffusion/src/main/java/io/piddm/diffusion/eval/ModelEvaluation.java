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
import io.piddm.diffusion.net.Student;
import io.piddm.diffusion.net.UNet;
import io.piddm.physics.dataset.DatasetSidecar;
import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.metrics.SampleMetrics;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.random.Seeds;
import io.piddm.physics.render.FieldRenderer;
import io.piddm.physics.residual.ResidualSpecs;
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
import org.jetbrains.bio.npy.NpyFile;

/**
 * Measures a trained model against a held-out reference set made by the solver with another seed:
 * the reference itself (ground truth row), unconditional samples (a teacher with Heun, a student in
 * one evaluation) judged by {@link SampleEvaluation}, and, for a teacher, the DiffusionPDE-style
 * guided baseline on the forward task (first channel observed, last channel estimated) and the
 * inverse task (last channel observed, first estimated). Writes {@code evaluation.json} and PNGs.
 */
public final class ModelEvaluation {

  /** Threshold between the binary Darcy coefficient's values 3 and 12. */
  public static final double DARCY_THRESHOLD = 7.5;

  /** What to run. {@code tasks} = 0 skips the guided tasks. */
  public record Settings(
      int samples, long seed, int heunSteps, int batch, int tasks, GuidedSampler.Settings guided) {
    public Settings {
      if (samples < 2 || heunSteps < 1 || batch < 1 || tasks < 0) {
        throw new IllegalArgumentException(
            "evaluation: at least 2 samples, 1 Heun step, batch ≥ 1 and tasks ≥ 0");
      }
    }
  }

  /** The errors of one downstream task over {@code count} reference fields. */
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
    SampleEvaluation.Report truth =
        SampleEvaluation.evaluate(
            "ground-truth", pde, grid, reference, reference, sidecar.seed(), 0, 0);
    SampleEvaluation.write(truth, pde, reference, outputDir);
    reports.add(truth);

    UNet net = model.net();
    Edm edm = new Edm(net);
    Normalization normalization = model.normalization();
    try (NDManager manager = NDManager.newBaseManager();
        DjlParameters weights = model.loadWeights(modelDir, manager)) {
      boolean teacher = TrainedModel.TEACHER.equals(model.kind());
      HeunSampler heun = new HeunSampler(edm, settings.heunSteps());
      Student student = new Student(net);
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
              method, pde, grid, samples, reference, settings.seed(), evaluations, seconds);
      SampleEvaluation.write(report, pde, samples, outputDir);
      reports.add(report);

      if (teacher && settings.tasks() > 0) {
        GuidedSampler guided =
            new GuidedSampler(
                edm, normalization, ResidualSpecs.training(pde), grid, settings.guided());
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
        for (Direction d : Direction.of(pde)) {
          tasks.add(
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

  /** A downstream task: one channel observed in full, another estimated. */
  record Direction(String task, int observed, int estimated) {
    /** Forward: first channel observed, last estimated; inverse: the other way round. */
    static List<Direction> of(Pde pde) {
      int last = pde.channels().size() - 1;
      return List.of(new Direction("forward", 0, last), new Direction("inverse", last, 0));
    }
  }

  /** How a method estimates the fields of task field {@code k} from normalised observations. */
  @FunctionalInterface
  interface Estimator {
    NDArray estimate(NDManager scope, int k, NDArray observed, NDArray mask);
  }

  /**
   * The no-model baseline of the downstream tasks on the first {@code count} reference fields:
   * {@link DataSpaceOptimisation} of the guided teacher's objective (weights from {@code weights}).
   */
  public static List<TaskReport> dataSpaceTasks(
      Path referenceDir,
      Normalization normalization,
      GuidedSampler.Settings weights,
      DataSpaceOptimisation.Settings settings,
      int count,
      Path outputDir)
      throws IOException {
    DatasetSidecar sidecar = DatasetSidecar.read(referenceDir);
    Pde pde = Pde.parse(sidecar.pde());
    float[] referenceData =
        NpyFile.read(referenceDir.resolve("fields.npy"), Integer.MAX_VALUE).asFloatArray();
    GuidanceLoss loss =
        new GuidanceLoss(
            ResidualSpecs.training(pde),
            new Grid(sidecar.resolution()),
            normalization,
            weights.zetaObservation(),
            weights.zetaPde());
    Estimator direct =
        (scope, k, observed, mask) ->
            DataSpaceOptimisation.optimise(loss, observed, mask, settings);
    List<TaskReport> reports = new ArrayList<>();
    Files.createDirectories(outputDir);
    try (NDManager manager = NDManager.newBaseManager()) {
      for (Direction d : Direction.of(pde)) {
        reports.add(
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
   * Observes channel {@code d.observed()} of each of the first {@code count} reference fields in
   * full, estimates with {@code estimator}, and scores channel {@code d.estimated()} against the
   * solver's.
   */
  private static TaskReport task(
      String method,
      int networkEvaluations,
      Direction d,
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
    int observed = d.observed();
    int estimated = d.estimated();
    int channels = pde.channels().size();
    int plane = size * size;
    int length = channels * plane;
    double[] relative = new double[count];
    double[] errorRate = new double[count];
    boolean darcyInverse = pde == Pde.DARCY && estimated == 0;
    List<FieldRenderer.Panel> panels = new ArrayList<>();
    long start = System.nanoTime();
    for (int k = 0; k < count; k++) {
      float[] truth = Arrays.copyOfRange(referenceData, k * length, (k + 1) * length);
      float[] normalisedTruth = truth.clone();
      normalization.normaliseInPlace(normalisedTruth, plane);
      float[] mask = new float[length];
      Arrays.fill(mask, observed * plane, (observed + 1) * plane, 1f);
      try (NDManager scope = manager.newSubManager()) {
        NDArray sample =
            estimator.estimate(
                scope,
                k,
                scope.create(normalisedTruth, shape(1, channels, size)),
                scope.create(mask, shape(1, channels, size)));
        List<Field> generatedChannels =
            SampleEvaluation.fields(
                    normalization.toPhysical(sample).toFloatArray(), 1, channels, size)
                .get(0);
        List<Field> trueChannels = SampleEvaluation.fields(truth, 1, channels, size).get(0);
        Field estimate = generatedChannels.get(estimated);
        Field target = trueChannels.get(estimated);
        relative[k] = SampleMetrics.relativeL2(estimate, target);
        errorRate[k] =
            darcyInverse ? SampleMetrics.errorRate(estimate, target, DARCY_THRESHOLD) : 0;
        if (k < 2) {
          String name = pde.channels().get(estimated);
          panels.add(
              new FieldRenderer.Panel(
                  trueChannels.get(observed), "observed " + pde.channels().get(observed)));
          panels.add(new FieldRenderer.Panel(target, "true " + name));
          panels.add(new FieldRenderer.Panel(estimate, method + " " + name));
          panels.add(new FieldRenderer.Panel(difference(estimate, target), "error " + name));
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9 / count;
    FieldRenderer.writePng(
        FieldRenderer.sheet(panels, 4), outputDir.resolve(method + "-" + d.task() + ".png"));
    return new TaskReport(
        method,
        d.task(),
        pde.channels().get(observed),
        pde.channels().get(estimated),
        count,
        seed,
        networkEvaluations,
        seconds,
        mean(relative),
        std(relative),
        darcyInverse ? mean(errorRate) : null,
        darcyInverse ? std(errorRate) : null);
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

  private static double mean(double[] v) {
    return Arrays.stream(v).average().orElse(Double.NaN);
  }

  private static double std(double[] v) {
    double m = mean(v);
    return Math.sqrt(
        Arrays.stream(v).map(x -> (x - m) * (x - m)).sum() / Math.max(1, v.length - 1));
  }
}
