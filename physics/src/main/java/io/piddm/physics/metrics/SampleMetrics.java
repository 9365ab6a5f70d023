package io.piddm.physics.metrics;

import io.piddm.physics.grid.Check;
import io.piddm.physics.grid.Field;
import java.util.List;

/**
 * Distribution and accuracy metrics in float64. Sample sets are lists of fields of one channel;
 * MMSE and SMSE compare their per-pixel mean and standard deviation.
 */
public final class SampleMetrics {

  private SampleMetrics() {}

  /** Mean over pixels of (mean_generated − mean_reference)². */
  public static double mmse(List<Field> generated, List<Field> reference) {
    return meanSquaredDifference(
        pixelMoments(generated, "generated")[0], pixelMoments(reference, "reference")[0]);
  }

  /** Mean over pixels of (std_generated − std_reference)², with the population std. */
  public static double smse(List<Field> generated, List<Field> reference) {
    return meanSquaredDifference(
        pixelMoments(generated, "generated")[1], pixelMoments(reference, "reference")[1]);
  }

  /** ‖x − y‖₂ / ‖y‖₂. */
  public static double relativeL2(Field estimate, Field truth) {
    Check.sameShape("estimate", estimate, "truth", truth);
    Check.finite("estimate", estimate);
    Check.finite("truth", truth);
    double num = 0;
    double den = 0;
    for (int k = 0; k < truth.values().length; k++) {
      double d = estimate.values()[k] - truth.values()[k];
      num += d * d;
      den += truth.values()[k] * truth.values()[k];
    }
    if (den == 0) {
      throw new IllegalArgumentException("truth: relative L2 needs a non-zero reference field");
    }
    return Math.sqrt(num / den);
  }

  /**
   * The fraction of pixels on the wrong side of {@code threshold}: the inverse-problem error of a
   * binary Darcy coefficient (threshold 7.5 between 3 and 12).
   */
  public static double errorRate(Field estimate, Field truth, double threshold) {
    Check.sameShape("estimate", estimate, "truth", truth);
    Check.finite("estimate", estimate);
    int wrong = 0;
    for (int k = 0; k < truth.values().length; k++) {
      if ((estimate.values()[k] >= threshold) != (truth.values()[k] >= threshold)) {
        wrong++;
      }
    }
    return wrong / (double) truth.values().length;
  }

  private static double[][] pixelMoments(List<Field> samples, String name) {
    if (samples.isEmpty()) {
      throw new IllegalArgumentException(name + ": needs at least one sample");
    }
    Field first = samples.get(0);
    int n = first.values().length;
    double[] mean = new double[n];
    double[] m2 = new double[n];
    int count = 0;
    for (Field f : samples) {
      Check.sameShape(name + "[0]", first, name + "[" + count + "]", f);
      Check.finite(name + "[" + count + "]", f);
      count++;
      for (int k = 0; k < n; k++) {
        double x = f.values()[k];
        double delta = x - mean[k];
        mean[k] += delta / count;
        m2[k] += delta * (x - mean[k]);
      }
    }
    double[] std = new double[n];
    for (int k = 0; k < n; k++) {
      std[k] = Math.sqrt(m2[k] / count);
    }
    return new double[][] {mean, std};
  }

  private static double meanSquaredDifference(double[] x, double[] y) {
    if (x.length != y.length) {
      throw new IllegalArgumentException(
          "generated and reference fields differ in size: " + x.length + " vs " + y.length);
    }
    double sum = 0;
    for (int k = 0; k < x.length; k++) {
      sum += (x[k] - y[k]) * (x[k] - y[k]);
    }
    return sum / x.length;
  }
}
