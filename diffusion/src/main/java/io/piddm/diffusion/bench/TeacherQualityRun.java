package io.piddm.diffusion.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.edm.Edm;
import io.piddm.diffusion.edm.HeunSampler;
import io.piddm.diffusion.edm.Normalization;
import io.piddm.diffusion.eval.SampleEvaluation;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.diffusion.train.TrainSettings;
import io.piddm.diffusion.train.Trainer;
import io.piddm.physics.dataset.DatasetGenerator;
import io.piddm.physics.dataset.DatasetSidecar;
import io.piddm.physics.dataset.DatasetSpec;
import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.random.Seeds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.jetbrains.bio.npy.NpyFile;

/**
 * One teacher quality run end to end: generate a training set and a held-out reference set (other
 * seed) with the project's solver, train the teacher (checkpointed, resumable), sample with Heun,
 * and write the evaluation of ground truth and teacher side by side.
 *
 * <p>Arguments: PDE, resolution, training count, steps, samples, output folder.
 */
public final class TeacherQualityRun {

  private TeacherQualityRun() {}

  public static void main(String[] args) throws Exception {
    Pde pde = Pde.parse(args[0]);
    int size = Integer.parseInt(args[1]);
    int count = Integer.parseInt(args[2]);
    long steps = Long.parseLong(args[3]);
    int samples = Integer.parseInt(args[4]);
    Path out = Path.of(args[5]);
    Grid grid = new Grid(size);
    int threads = Runtime.getRuntime().availableProcessors();
    DatasetSidecar train =
        new DatasetGenerator(new DatasetSpec(pde, size, count, 1), threads)
            .generate(out.resolve("train"), n -> {});
    new DatasetGenerator(new DatasetSpec(pde, size, samples, 2), threads)
        .generate(out.resolve("reference"), n -> {});
    float[] data = NpyFile.read(out.resolve("train/fields.npy"), Integer.MAX_VALUE).asFloatArray();
    float[] reference =
        NpyFile.read(out.resolve("reference/fields.npy"), Integer.MAX_VALUE).asFloatArray();
    int channels = pde.channels().size();
    Normalization normalization = Normalization.of(train);
    // The network sees unit-variance channels scaled to σ_data = 0.5.
    Normalization network =
        new Normalization(
            pde.channels(),
            normalization.mean(),
            java.util.Arrays.stream(normalization.std()).map(s -> 2 * s).toArray());
    network.normaliseInPlace(data, size * size);

    UNetSpec spec = size >= 64 ? UNetSpec.preset64(channels) : UNetSpec.preset32(channels);
    Edm edm = new Edm(new UNet(spec));
    TrainSettings settings =
        new TrainSettings(32, steps, 1e-3, 200, 1.0, 0.999, 1, 500, out.resolve("checkpoint"));
    try (Trainer trainer = Trainer.teacher(edm, settings, data, new Shape(channels, size, size));
        NDManager manager = NDManager.newBaseManager()) {
      trainer.train(
          (step, total, loss, rate, eta, skipped) -> {
            if (step % 100 == 0) {
              System.out.printf(
                  "step %d/%d loss %.4f %.2f steps/s eta %.0f s skipped %d%n",
                  step, total, loss, rate, eta, skipped);
            }
          });
      Random random = Seeds.stream(3, 0, 0);
      float[] eps = new float[samples * channels * size * size];
      for (int k = 0; k < eps.length; k++) {
        eps[k] = (float) random.nextGaussian();
      }
      HeunSampler sampler = new HeunSampler(edm, 18);
      long start = System.nanoTime();
      NDArray generated =
          sampler.sample(
              trainer.ema()::get, manager.create(eps, new Shape(samples, channels, size, size)));
      float[] physical = network.toPhysical(generated).toFloatArray();
      double seconds = (System.nanoTime() - start) / 1e9 / samples;
      List<List<Field>> teacher = SampleEvaluation.fields(physical, samples, channels, size);
      List<List<Field>> heldOut = SampleEvaluation.fields(reference, samples, channels, size);
      int shown = Math.min(count, samples);
      float[] solver =
          NpyFile.read(out.resolve("train/fields.npy"), Integer.MAX_VALUE).asFloatArray();
      List<List<Field>> truth =
          SampleEvaluation.fields(
              java.util.Arrays.copyOf(solver, shown * channels * size * size),
              shown,
              channels,
              size);
      var truthReport =
          SampleEvaluation.evaluate("ground-truth", pde, grid, truth, heldOut, 1, 0, 0);
      var teacherReport =
          SampleEvaluation.evaluate(
              "teacher-heun18",
              pde,
              grid,
              teacher,
              heldOut,
              3,
              sampler.networkEvaluations(),
              seconds);
      Files.createDirectories(out.resolve("eval"));
      SampleEvaluation.write(truthReport, pde, truth, out.resolve("eval"));
      SampleEvaluation.write(teacherReport, pde, teacher, out.resolve("eval"));
      System.out.println(truthReport);
      System.out.println(teacherReport);
    }
  }
}
