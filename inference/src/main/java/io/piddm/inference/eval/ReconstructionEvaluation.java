package io.piddm.inference.eval;

import ai.onnxruntime.OrtException;
import io.piddm.inference.Reconstruction;
import io.piddm.inference.StudentModel;
import io.piddm.physics.dataset.DatasetSidecar;
import io.piddm.physics.grid.Field;
import io.piddm.physics.metrics.SampleMetrics;
import io.piddm.physics.pde.Pde;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import org.jetbrains.bio.npy.NpyFile;

/**
 * The student's downstream tasks as the sampler runs them (Adam on ε through {@code
 * reconstruct.onnx}, {@link Reconstruction}), scored against a held-out reference set made by the
 * solver with another seed: forward (first channel observed in full, last estimated; where the PDE
 * fixes the solution on the boundary those known values are given too, as in any forward solve),
 * inverse (last observed, first estimated; for Darcy also the error rate of the thresholded
 * coefficient) and sparse (the same random fraction of points observed in every channel, every
 * channel estimated). Besides the final errors it records the mean relative L2 error every {@code
 * every} steps, to show whether the optimisation improves the estimate on average.
 */
public final class ReconstructionEvaluation {

  /** Threshold between the binary Darcy coefficient's values 3 and 12. */
  public static final double DARCY_THRESHOLD = 7.5;

  /** What to run; {@code seed} picks the initial noise and the sparse points. */
  public record Settings(
      int tasks,
      int steps,
      double learningRate,
      double lambdaObs,
      double lambdaPde,
      double sparseFraction,
      int every,
      long seed) {
    public Settings {
      if (tasks < 1 || steps < 1 || every < 1 || !(sparseFraction > 0 && sparseFraction <= 1)) {
        throw new IllegalArgumentException(
            "reconstruction evaluation: tasks ≥ 1, steps ≥ 1, every ≥ 1 and 0 < fraction ≤ 1");
      }
    }
  }

  /**
   * One task's errors over the reference fields: relative L2 of the estimated channel (mean and
   * standard deviation over fields), Darcy's error rate where it applies, the mean relative L2 at
   * steps 0, every, 2·every … steps, the mean relative PDE error (‖R‖/‖f‖) of the final x_mix, and
   * seconds per field.
   */
  public record TaskReport(
      String task,
      String observed,
      String estimated,
      int count,
      int steps,
      double relativeL2Mean,
      double relativeL2Std,
      Double errorRateMean,
      Double errorRateStd,
      double[] relativeL2ByStep,
      double pdeErrorMean,
      double secondsPerTask) {}

  private ReconstructionEvaluation() {}

  public static List<TaskReport> evaluate(StudentModel model, Path referenceDir, Settings settings)
      throws IOException, OrtException {
    return evaluate(model, referenceDir, settings, task -> true);
  }

  /**
   * As above, only the tasks whose name ({@code forward}, {@code forward+bc}, {@code inverse},
   * {@code sparse}) {@code which} accepts: tasks that want other optimiser settings run apart.
   */
  public static List<TaskReport> evaluate(
      StudentModel model, Path referenceDir, Settings settings, Predicate<String> which)
      throws IOException, OrtException {
    DatasetSidecar sidecar = DatasetSidecar.read(referenceDir);
    List<String> channels = model.metadata().channels();
    int size = model.gridSize();
    if (sidecar.resolution() != size || !sidecar.channels().equals(channels)) {
      throw new IllegalArgumentException(
          "reference "
              + referenceDir
              + " holds "
              + sidecar.channels()
              + " at "
              + sidecar.resolution()
              + "², the model "
              + channels
              + " at "
              + size
              + "²");
    }
    float[] reference =
        NpyFile.read(referenceDir.resolve("fields.npy"), Integer.MAX_VALUE).asFloatArray();
    int count = Math.min(settings.tasks(), sidecar.count());
    int last = channels.size() - 1;
    Pde pde = Pde.parse(model.metadata().pde());
    boolean darcy = pde == Pde.DARCY;
    List<TaskReport> reports = new ArrayList<>();
    String forward = pde.solutionFixedOnBoundary() ? "forward+bc" : "forward";
    if (which.test(forward)) {
      reports.add(task(forward, model, reference, count, new int[] {0}, last, false, settings));
    }
    if (which.test("inverse")) {
      reports.add(task("inverse", model, reference, count, new int[] {last}, 0, darcy, settings));
    }
    int[] all = new int[channels.size()];
    Arrays.setAll(all, c -> c);
    for (int estimated = 0; estimated <= last && which.test("sparse"); estimated++) {
      reports.add(
          task(
              "sparse",
              model,
              reference,
              count,
              all,
              estimated,
              darcy && estimated == 0,
              settings));
    }
    return reports;
  }

  private static TaskReport task(
      String name,
      StudentModel model,
      float[] reference,
      int count,
      int[] observedChannels,
      int estimated,
      boolean errorRate,
      Settings settings)
      throws OrtException {
    boolean sparse = name.equals("sparse");
    boolean boundary = name.equals("forward+bc");
    int d = model.dim();
    int plane = model.gridSize() * model.gridSize();
    int checkpoints = settings.steps() / settings.every() + 1;
    double[] byStep = new double[checkpoints];
    double[] relative = new double[count];
    double[] rates = new double[count];
    double pdeSum = 0;
    Reconstruction.Settings optimiser =
        new Reconstruction.Settings(
            settings.steps(),
            settings.learningRate(),
            settings.lambdaObs(),
            settings.lambdaPde(),
            0,
            settings.every());
    long start = System.nanoTime();
    for (int k = 0; k < count; k++) {
      float[] truth = Arrays.copyOfRange(reference, k * d, (k + 1) * d);
      float[] mask = mask(observedChannels, plane, d, sparse, settings, k);
      if (boundary) {
        observeBoundary(mask, estimated, model.gridSize());
      }
      Field target = channel(truth, estimated, model.gridSize());
      int field = k;
      long seed = settings.seed() + 7919L * k;
      // Step 0: the student's guess before any Adam step, observed entries put in (x_mix).
      float[] first = model.decode(model.noise(seed, 1), 1);
      for (int i = 0; i < d; i++) {
        first[i] = mask[i] * truth[i] + (1 - mask[i]) * first[i];
      }
      byStep[0] +=
          SampleMetrics.relativeL2(channel(first, estimated, model.gridSize()), target) / count;
      Reconstruction.Result result =
          Reconstruction.run(
              model,
              truth,
              mask,
              seed,
              1,
              optimiser,
              (member, step, loss, pde, obs, x) -> {
                if (x != null && step > 0 && step % settings.every() == 0) {
                  byStep[step / settings.every()] +=
                      SampleMetrics.relativeL2(channel(x, estimated, model.gridSize()), target)
                          / count;
                }
              },
              () -> false);
      Field estimate = channel(result.members()[0], estimated, model.gridSize());
      relative[field] = SampleMetrics.relativeL2(estimate, target);
      rates[field] = errorRate ? SampleMetrics.errorRate(estimate, target, DARCY_THRESHOLD) : 0;
      pdeSum += model.pdeError(result.members()[0], 0).relative();
    }
    double seconds = (System.nanoTime() - start) / 1e9 / count;
    List<String> names = model.metadata().channels();
    String observed =
        sparse
            ? Math.round(settings.sparseFraction() * 100) + "% of points of " + names
            : names.get(observedChannels[0])
                + (boundary ? " + boundary values of " + names.get(estimated) : "");
    return new TaskReport(
        name,
        observed,
        names.get(estimated),
        count,
        settings.steps(),
        mean(relative),
        std(relative),
        errorRate ? mean(rates) : null,
        errorRate ? std(rates) : null,
        byStep,
        pdeSum / count,
        seconds);
  }

  /** 1 on the observed entries: whole channels, or the same random points in every channel. */
  static float[] mask(
      int[] channels, int plane, int d, boolean sparse, Settings settings, int field) {
    float[] mask = new float[d];
    if (!sparse) {
      for (int c : channels) {
        Arrays.fill(mask, c * plane, (c + 1) * plane, 1f);
      }
      return mask;
    }
    Random random = new Random(settings.seed() * 31 + field);
    for (int p = 0; p < plane; p++) {
      if (random.nextDouble() < settings.sparseFraction()) {
        for (int c : channels) {
          mask[c * plane + p] = 1f;
        }
      }
    }
    return mask;
  }

  /** Marks the boundary nodes of {@code channel} as observed. */
  static void observeBoundary(float[] mask, int channel, int size) {
    int base = channel * size * size;
    for (int i = 0; i < size; i++) {
      mask[base + i] = 1f;
      mask[base + (size - 1) * size + i] = 1f;
      mask[base + i * size] = 1f;
      mask[base + i * size + size - 1] = 1f;
    }
  }

  static Field channel(float[] field, int channel, int size) {
    int plane = size * size;
    double[] values = new double[plane];
    for (int p = 0; p < plane; p++) {
      values[p] = field[channel * plane + p];
    }
    return new Field(size, size, values);
  }

  static double mean(double[] v) {
    return Arrays.stream(v).average().orElse(Double.NaN);
  }

  static double std(double[] v) {
    double m = mean(v);
    return Math.sqrt(Arrays.stream(v).map(x -> (x - m) * (x - m)).average().orElse(Double.NaN));
  }
}
