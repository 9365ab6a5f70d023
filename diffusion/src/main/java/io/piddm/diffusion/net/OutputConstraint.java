package io.piddm.diffusion.net;

import io.piddm.physics.pde.FieldConstraints;

/**
 * A PDE's {@link FieldConstraints} as the last layer of a network whose output is in normalised
 * units (physical = normalised · std + mean per channel): each channel clamped to its range, then
 * the nodes of ∂Ω set to their boundary value. The teacher's denoiser and the student both end with
 * it, in DJL and in the exported ONNX graphs alike, so every generated field satisfies the boundary
 * conditions exactly and the comparison between them stays fair. Where a PDE constrains nothing
 * (Burgers) it is the identity and writes no ops.
 */
public final class OutputConstraint {

  private final boolean clamps;
  private final boolean masks;
  private final double[] lower;
  private final double[] upper;
  private final float[] keep;
  private final float[] fill;

  private OutputConstraint(
      boolean clamps, boolean masks, double[] lower, double[] upper, float[] keep, float[] fill) {
    this.clamps = clamps;
    this.masks = masks;
    this.lower = lower;
    this.upper = upper;
    this.keep = keep;
    this.fill = fill;
  }

  /** No constraint: the identity (networks trained on data of no PDE, benches, unit tests). */
  public static OutputConstraint none() {
    return new OutputConstraint(false, false, null, null, null, null);
  }

  /**
   * The constraints of {@code constraints} on an S×S grid, for outputs normalised with {@code mean}
   * and {@code std} per channel.
   */
  public static OutputConstraint of(
      FieldConstraints constraints, double[] mean, double[] std, int size) {
    int channels = constraints.channels();
    if (mean.length != channels || std.length != channels) {
      throw new IllegalArgumentException("output constraint: one mean and std per channel");
    }
    boolean clamps = false;
    boolean masks = false;
    // ±Float.MAX_VALUE rather than ±∞: a float32 graph constant, and no Inf reaches any backend
    double[] lower = new double[channels];
    double[] upper = new double[channels];
    int plane = size * size;
    float[] keep = new float[channels * plane];
    float[] fill = new float[channels * plane];
    for (int c = 0; c < channels; c++) {
      lower[c] = normalisedBound(constraints.lower()[c], mean[c], std[c], -Float.MAX_VALUE);
      upper[c] = normalisedBound(constraints.upper()[c], mean[c], std[c], Float.MAX_VALUE);
      clamps |= constraints.bounds(c);
      masks |= constraints.fixesBoundary(c);
      for (int p = 0; p < plane; p++) {
        boolean fixed =
            constraints.fixesBoundary(c) && FieldConstraints.onBoundary(p / size, p % size, size);
        keep[c * plane + p] = fixed ? 0 : 1;
        fill[c * plane + p] =
            fixed ? (float) ((constraints.boundaryValue()[c] - mean[c]) / std[c]) : 0;
      }
    }
    return new OutputConstraint(clamps, masks, lower, upper, keep, fill);
  }

  private static double normalisedBound(double bound, double mean, double std, double none) {
    return Double.isInfinite(bound) ? none : (bound - mean) / std;
  }

  /** The constrained output [N, C, S, S], normalised units in and out. */
  public <T> T apply(Ops<T> ops, T normalised) {
    T out = normalised;
    if (clamps) {
      out = ops.clampChannels(out, lower, upper);
    }
    if (masks) {
      out = ops.maskPixels(out, keep, fill);
    }
    return out;
  }
}
