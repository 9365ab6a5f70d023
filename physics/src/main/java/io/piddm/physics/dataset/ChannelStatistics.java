package io.piddm.physics.dataset;

/**
 * Per-channel mean and standard deviation over a dataset, accumulated in float64 (Welford), for the
 * normalisation the networks train with: network value = (physical − mean) / std.
 */
public final class ChannelStatistics {

  private final long[] count;
  private final double[] mean;
  private final double[] m2;

  public ChannelStatistics(int channels) {
    count = new long[channels];
    mean = new double[channels];
    m2 = new double[channels];
  }

  /** Adds one sample laid out as [C, S, S]. */
  public void add(float[] sample, int offset, int channelLength) {
    for (int c = 0; c < mean.length; c++) {
      int start = offset + c * channelLength;
      for (int k = start; k < start + channelLength; k++) {
        double x = sample[k];
        count[c]++;
        double delta = x - mean[c];
        mean[c] += delta / count[c];
        m2[c] += delta * (x - mean[c]);
      }
    }
  }

  public double mean(int channel) {
    return mean[channel];
  }

  /** Population standard deviation; 1 for a constant channel so normalising never divides by 0. */
  public double std(int channel) {
    double std = Math.sqrt(m2[channel] / count[channel]);
    return std > 0 ? std : 1;
  }
}
