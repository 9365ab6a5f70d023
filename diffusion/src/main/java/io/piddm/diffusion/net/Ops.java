package io.piddm.diffusion.net;

/**
 * The tensor operations the networks are written with. The UNet is defined once against this
 * interface; each runtime supplies a backend (DJL NDArrays for training here, ONNX graph nodes for
 * export later), so the network cannot drift between them. Tensors are NCHW.
 */
public interface Ops<T> {

  /** 2-D convolution, square kernel from the weight's shape [out, in, k, k]. */
  T conv2d(T x, T weight, T bias, int stride, int padding);

  /** y = x Wᵀ + b with W of shape [out, in]. */
  T linear(T x, T weight, T bias);

  /** Group normalisation over (C/groups, H, W) with per-channel scale and shift, each [C, 1, 1]. */
  T groupNorm(T x, int groups, T gamma, T beta);

  T silu(T x);

  T add(T a, T b);

  T scale(T x, double factor);

  /** x [N, C, H, W] plus v [N, C] broadcast over H and W. */
  T addPerChannel(T x, T v);

  /** Concatenation along channels. */
  T concatChannels(T a, T b);

  /** Nearest-neighbour upsampling by 2 in H and W. */
  T upsample2(T x);

  /** Channels [from, to) of x. */
  T sliceChannels(T x, int from, int to);

  /** [cos(c·f), sin(c·f)] for c of shape [N] and constant frequencies f: shape [N, 2·|f|]. */
  T fourierFeatures(T c, float[] frequencies);

  /** A tensor [N] holding {@code value} for each of the N samples of x. */
  T perSampleConstant(T x, double value);

  /** x·scale[c] + shift[c] per channel c of x [N, C, H, W]. */
  T channelAffine(T x, double[] scale, double[] shift);

  /**
   * Each channel c of x [N, C, H, W] clamped to [lower[c], upper[c]]; the gradient passes where the
   * value was inside its range.
   */
  T clampChannels(T x, double[] lower, double[] upper);

  /** x ⊙ keep + fill, with keep and fill of shape [C, H, W] (row-major) broadcast over N. */
  T maskPixels(T x, float[] keep, float[] fill);
}
