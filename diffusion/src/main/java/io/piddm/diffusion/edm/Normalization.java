package io.piddm.diffusion.edm;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * Per-channel affine normalisation stored with a model: network value = (physical − mean) / std, as
 * computed over the training set ({@code dataset.json}). Residuals are judged on physical values.
 */
public record Normalization(List<String> channels, double[] mean, double[] std) {

  public Normalization {
    channels = List.copyOf(channels);
    if (mean.length != channels.size() || std.length != channels.size()) {
      throw new IllegalArgumentException("normalization: one mean and std per channel");
    }
    for (double s : std) {
      if (!(s > 0)) {
        throw new IllegalArgumentException("normalization: std must be positive, got " + s);
      }
    }
  }

  public static Normalization of(io.piddm.physics.dataset.DatasetSidecar sidecar) {
    int c = sidecar.normalization().size();
    double[] mean = new double[c];
    double[] std = new double[c];
    for (int k = 0; k < c; k++) {
      mean[k] = sidecar.normalization().get(k).mean();
      std[k] = sidecar.normalization().get(k).std();
    }
    return new Normalization(sidecar.channels(), mean, std);
  }

  /**
   * The network's normalisation for a dataset: per channel, (x − mean) / (2 std), so each channel
   * reaches the network with standard deviation σ_data = 0.5.
   */
  public static Normalization forNetwork(io.piddm.physics.dataset.DatasetSidecar sidecar) {
    Normalization data = of(sidecar);
    return new Normalization(
        data.channels(),
        data.mean(),
        java.util.Arrays.stream(data.std()).map(s -> 2 * s).toArray());
  }

  /** Physical values of normalised fields [N, C, H, W]. */
  public NDArray toPhysical(NDArray normalised) {
    return new io.piddm.diffusion.djl.DjlOps().channelAffine(normalised, std, mean);
  }

  /** Normalises physical fields [count, C, S, S] flattened, in place. */
  public void normaliseInPlace(float[] data, int pixelsPerChannel) {
    int c = channels.size();
    for (int k = 0; k < data.length; k++) {
      int channel = (k / pixelsPerChannel) % c;
      data[k] = (float) ((data[k] - mean[channel]) / std[channel]);
    }
  }
}
