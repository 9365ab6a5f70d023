package io.piddm.inference.eval;

import ai.onnxruntime.OrtException;
import io.piddm.inference.Reconstruction;
import io.piddm.inference.StudentModel;
import io.piddm.physics.dataset.DatasetSidecar;
import io.piddm.physics.metrics.Moments;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.task.DownstreamTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import org.jetbrains.bio.npy.NpyFile;

/**
 * The student's downstream tasks ({@link DownstreamTask}: forward, inverse, sparse points) as the
 * sampler runs them (Adam on ε through {@code reconstruct.onnx}, {@link Reconstruction}), scored
 * against a held-out reference set made by the solver with another seed. Besides the final errors
 * it records the mean relative L2 error every {@code every} steps, to show whether the optimisation
 * improves the estimate on average.
 */
public final class ReconstructionEvaluation {

  /**
   * What to run; {@code seed} picks the initial noise and the sparse points; {@code lambdaSolution}
   * weighs the graph's solution term (0: not used); {@code steps} counts the optimizer's
   * evaluations of the graph.
   */
  public record Settings(
      int tasks,
      int steps,
      double learningRate,
      double lambdaObs,
      double lambdaPde,
      double lambdaSolution,
      double sparseFraction,
      int every,
      long seed,
      Reconstruction.Optimizer optimizer) {
    public Settings {
      if (tasks < 1 || steps < 1 || every < 1 || !(sparseFraction > 0 && sparseFraction <= 1)) {
        throw new IllegalArgumentException(
            "reconstruction evaluation: tasks ≥ 1, steps ≥ 1, every ≥ 1 and 0 < fraction ≤ 1");
      }
      if (optimizer == null) {
        throw new IllegalArgumentException("reconstruction evaluation: an optimizer is required");
      }
    }

    /** With Adam. */
    public Settings(
        int tasks,
        int steps,
        double learningRate,
        double lambdaObs,
        double lambdaPde,
        double lambdaSolution,
        double sparseFraction,
        int every,
        long seed) {
      this(
          tasks,
          steps,
          learningRate,
          lambdaObs,
          lambdaPde,
          lambdaSolution,
          sparseFraction,
          every,
          seed,
          Reconstruction.Optimizer.ADAM);
    }

    /** Without the solution term. */
    public Settings(
        int tasks,
        int steps,
        double learningRate,
        double lambdaObs,
        double lambdaPde,
        double sparseFraction,
        int every,
        long seed) {
      this(tasks, steps, learningRate, lambdaObs, lambdaPde, 0, sparseFraction, every, seed);
    }

    /** The sparse task's points, drawn from this evaluation's seed. */
    public DownstreamTask.SparsePoints sparsePoints() {
      return new DownstreamTask.SparsePoints(sparseFraction, seed);
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
    Pde pde = Pde.parse(model.metadata().pde());
    List<TaskReport> reports = new ArrayList<>();
    for (DownstreamTask task : DownstreamTask.of(pde, settings.sparsePoints())) {
      if (which.test(task.name())) {
        reports.addAll(task(task, model, reference, count, settings));
      }
    }
    return reports;
  }

  private static List<TaskReport> task(
      DownstreamTask task, StudentModel model, float[] reference, int count, Settings settings)
      throws OrtException {
    int d = model.dim();
    int size = model.gridSize();
    int channels = d / (size * size);
    List<DownstreamTask.Target> targets = task.targets();
    int checkpoints = settings.steps() / settings.every() + 1;
    double[][] byStep = new double[targets.size()][checkpoints];
    double[][] relative = new double[targets.size()][count];
    double[][] rates = new double[targets.size()][count];
    double pdeSum = 0;
    Reconstruction.Settings optimiser =
        new Reconstruction.Settings(
            settings.steps(),
            settings.learningRate(),
            settings.lambdaObs(),
            settings.lambdaPde(),
            settings.lambdaSolution(),
            0,
            settings.every(),
            settings.optimizer());
    long start = System.nanoTime();
    for (int k = 0; k < count; k++) {
      float[] truth = Arrays.copyOfRange(reference, k * d, (k + 1) * d);
      float[] mask = task.mask(channels, size, k);
      long seed = settings.seed() + 7919L * k;
      // Step 0: the student's guess before any Adam step, observed entries put in (x_mix).
      float[] first = model.decode(model.noise(seed, 1), 1);
      for (int i = 0; i < d; i++) {
        first[i] = mask[i] * truth[i] + (1 - mask[i]) * first[i];
      }
      for (int t = 0; t < targets.size(); t++) {
        byStep[t][0] += targets.get(t).relativeL2(first, truth, size) / count;
      }
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
                  for (int t = 0; t < targets.size(); t++) {
                    byStep[t][step / settings.every()] +=
                        targets.get(t).relativeL2(x, truth, size) / count;
                  }
                }
              },
              () -> false);
      float[] estimate = result.members()[0];
      for (int t = 0; t < targets.size(); t++) {
        relative[t][k] = targets.get(t).relativeL2(estimate, truth, size);
        rates[t][k] = targets.get(t).errorRate(estimate, truth, size);
      }
      pdeSum += model.pdeError(estimate, 0).relative();
    }
    double seconds = (System.nanoTime() - start) / 1e9 / count;
    List<TaskReport> reports = new ArrayList<>();
    for (int t = 0; t < targets.size(); t++) {
      boolean rated = targets.get(t).errorRate();
      reports.add(
          new TaskReport(
              task.name(),
              task.observed(),
              targets.get(t).name(),
              count,
              settings.steps(),
              Moments.mean(relative[t]),
              Moments.sampleStd(relative[t]),
              rated ? Moments.mean(rates[t]) : null,
              rated ? Moments.sampleStd(rates[t]) : null,
              byStep[t],
              pdeSum / count,
              seconds));
    }
    return reports;
  }
}
