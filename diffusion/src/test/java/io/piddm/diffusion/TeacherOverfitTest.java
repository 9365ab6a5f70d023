package io.piddm.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.edm.Edm;
import io.piddm.diffusion.edm.HeunSampler;
import io.piddm.diffusion.edm.Normalization;
import io.piddm.diffusion.net.OutputConstraint;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.diffusion.train.TrainSettings;
import io.piddm.diffusion.train.Trainer;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.EllipticGenerator;
import io.piddm.physics.pde.JointField;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.random.Seeds;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The loss, preconditioning and ODE are wired correctly when a small net that overfits 8 fields
 * makes the sampler land close to one of them from fresh noise.
 */
class TeacherOverfitTest {

  static final int SIZE = 16;
  static final int COUNT = 8;

  /** 8 Poisson fields at 16², each channel scaled to std 0.5 over the set. */
  static float[] trainingSet() {
    return trainingSetWithNormalization().data();
  }

  /** Normalised training fields and the normalisation that maps them back to physical units. */
  record TrainingSet(float[] data, Normalization normalization) {}

  static TrainingSet trainingSetWithNormalization() {
    double[] means = new double[2];
    double[] stds = new double[2];
    EllipticGenerator generator = EllipticGenerator.standard(Pde.POISSON, new Grid(SIZE));
    int length = 2 * SIZE * SIZE;
    float[] data = new float[COUNT * length];
    for (int n = 0; n < COUNT; n++) {
      JointField sample = generator.sample(3, n);
      for (int c = 0; c < 2; c++) {
        double[] v = sample.channels().get(c).values();
        for (int k = 0; k < v.length; k++) {
          data[n * length + c * SIZE * SIZE + k] = (float) v[k];
        }
      }
    }
    for (int c = 0; c < 2; c++) {
      double sum = 0;
      double sq = 0;
      int m = 0;
      for (int n = 0; n < COUNT; n++) {
        for (int k = 0; k < SIZE * SIZE; k++) {
          double x = data[n * length + c * SIZE * SIZE + k];
          sum += x;
          sq += x * x;
          m++;
        }
      }
      double mean = sum / m;
      double std = Math.sqrt(sq / m - mean * mean);
      means[c] = mean;
      stds[c] = 2 * std; // network value = 0.5 (x − mean) / std
      for (int n = 0; n < COUNT; n++) {
        for (int k = 0; k < SIZE * SIZE; k++) {
          int i = n * length + c * SIZE * SIZE + k;
          data[i] = (float) ((data[i] - mean) / std * 0.5);
        }
      }
    }
    return new TrainingSet(data, new Normalization(java.util.List.of("a", "u"), means, stds));
  }

  /** ‖x − y‖ / ‖y‖ over {@code length} values starting at the given offsets. */
  static double relativeL2(float[] x, int xOffset, float[] y, int yOffset, int length) {
    double num = 0;
    double den = 0;
    for (int k = 0; k < length; k++) {
      double d = x[xOffset + k] - y[yOffset + k];
      num += d * d;
      den += (double) y[yOffset + k] * y[yOffset + k];
    }
    return Math.sqrt(num / den);
  }

  @Test
  void theSamplerReproducesTheFieldsItOverfits() throws Exception {
    float[] data = trainingSet();
    Edm edm = new Edm(new UNet(UNetSpec.tiny(2)), OutputConstraint.none());
    TrainSettings settings =
        new TrainSettings(
            8, Integer.getInteger("overfit.steps", 3000), 2e-3, 50, 1.0, 0.99, 1, 0, null);
    System.out.printf("overfit: %d steps at lr %.1e%n", settings.steps(), settings.learningRate());
    try (Trainer trainer = Trainer.teacher(edm, settings, data, new Shape(2, SIZE, SIZE))) {
      long start = System.nanoTime();
      trainer.train(
          (step, total, loss, rate, eta, skipped) -> {
            if (step % 250 == 0 || step == 1) {
              System.out.printf(
                  "step %d loss %.4f (%.1f steps/s, skipped %d)%n", step, loss, rate, skipped);
            }
          });
      System.out.printf("trained in %.1f s%n", (System.nanoTime() - start) / 1e9);
      try (NDManager manager = NDManager.newBaseManager()) {
        int samples = 4;
        Random random = Seeds.stream(99, 0, 0);
        float[] eps = new float[samples * 2 * SIZE * SIZE];
        for (int k = 0; k < eps.length; k++) {
          eps[k] = (float) random.nextGaussian();
        }
        NDArray noise = manager.create(eps, new Shape(samples, 2, SIZE, SIZE));
        float[] generated =
            new HeunSampler(edm, 18).sample(trainer.ema()::get, noise).toFloatArray();
        int length = 2 * SIZE * SIZE;
        double[] bests = new double[samples];
        for (int s = 0; s < samples; s++) {
          double best = Double.POSITIVE_INFINITY;
          for (int n = 0; n < COUNT; n++) {
            best = Math.min(best, relativeL2(generated, s * length, data, n * length, length));
          }
          System.out.printf("sample %d: nearest training field at relative L2 %.3f%n", s, best);
          bests[s] = best;
        }
        double spacing = Double.POSITIVE_INFINITY;
        for (int a = 0; a < COUNT; a++) {
          for (int b = a + 1; b < COUNT; b++) {
            spacing = Math.min(spacing, relativeL2(data, a * length, data, b * length, length));
          }
        }
        System.out.printf("closest pair of training fields: relative L2 %.3f%n", spacing);
        // Each sample lands on one training field: far closer to it than any two fields are.
        assertThat(java.util.Arrays.stream(bests).max().orElseThrow()).isLessThan(0.25 * spacing);
      }
    }
  }
}
