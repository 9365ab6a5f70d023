package io.piddm.physics.metrics;

import java.util.Arrays;

/** Mean and sample standard deviation (n − 1), the spread every report of the project quotes. */
public final class Moments {

  private Moments() {}

  /** The mean; NaN for no values. */
  public static double mean(double[] values) {
    return Arrays.stream(values).average().orElse(Double.NaN);
  }

  /** The median (the mean of the middle two for an even count); NaN for no values. */
  public static double median(double[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  }

  /** The sample standard deviation; 0 for one value, NaN for none. */
  public static double sampleStd(double[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double m = mean(values);
    double squares = Arrays.stream(values).map(x -> (x - m) * (x - m)).sum();
    return values.length > 1 ? Math.sqrt(squares / (values.length - 1)) : 0;
  }
}
