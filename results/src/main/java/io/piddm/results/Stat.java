package io.piddm.results;

import io.piddm.physics.metrics.Moments;
import java.util.List;
import java.util.Locale;

/** Mean and sample standard deviation over seeds, written as "mean ± std". */
public record Stat(double mean, double std, int n) {

  public static Stat of(List<Double> values) {
    List<Double> finite = values.stream().filter(Double::isFinite).toList();
    double[] v = finite.stream().mapToDouble(Double::doubleValue).toArray();
    return new Stat(Moments.mean(v), Moments.sampleStd(v), v.length);
  }

  /**
   * Mean and spread of every value, non-finite ones included: a verdict must fail on a seed whose
   * ratio is NaN or infinite, where {@link #of} would drop it from the table's mean.
   */
  static Stat ofAll(double[] values) {
    return new Stat(Moments.mean(values), Moments.sampleStd(values), values.length);
  }

  /** Three significant digits, the spread with the mean's precision. */
  public String format() {
    if (n == 0) {
      return "–";
    }
    String m = significant(mean);
    return n > 1 ? m + " ± " + significant(std) : m;
  }

  static String significant(double v) {
    if (v == 0) {
      return "0";
    }
    double magnitude = Math.abs(v);
    if (magnitude >= 1e4 || magnitude < 1e-3) {
      return String.format(Locale.ROOT, "%.2e", v);
    }
    int decimals = Math.max(0, 2 - (int) Math.floor(Math.log10(magnitude)));
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }
}
