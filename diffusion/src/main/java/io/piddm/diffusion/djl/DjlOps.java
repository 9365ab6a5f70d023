package io.piddm.diffusion.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import io.piddm.diffusion.net.Ops;

/** {@link Ops} on DJL NDArrays: what training and DJL inference run. */
public final class DjlOps implements Ops<NDArray> {

  private static final double NORM_EPS = 1e-5;

  @Override
  public NDArray conv2d(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
    return Conv2d.conv2d(
            x,
            weight,
            bias,
            new Shape(stride, stride),
            new Shape(padding, padding),
            new Shape(1, 1))
        .singletonOrThrow();
  }

  @Override
  public NDArray linear(NDArray x, NDArray weight, NDArray bias) {
    return Linear.linear(x, weight, bias).singletonOrThrow();
  }

  @Override
  public NDArray groupNorm(NDArray x, int groups, NDArray gamma, NDArray beta) {
    // Group statistics by PyTorch's native batch norm over [1, N·G, rest]: each group becomes a
    // "channel" normalised over its own elements (biased variance, as GroupNorm), one fused op.
    Shape shape = x.getShape();
    long rows = shape.get(0) * groups;
    NDManager manager = x.getManager();
    NDArray grouped = x.reshape(1, rows, -1);
    NDArray normalised =
        BatchNorm.batchNorm(
                grouped,
                manager.zeros(new Shape(rows)),
                manager.ones(new Shape(rows)),
                manager.ones(new Shape(rows)),
                manager.zeros(new Shape(rows)),
                1,
                0f,
                (float) NORM_EPS,
                true)
            .singletonOrThrow()
            .reshape(shape);
    // Operations on x first: results belong to x's manager, never to the parameters'.
    return normalised.mul(gamma).add(beta);
  }

  @Override
  public NDArray silu(NDArray x) {
    return x.mul(Activation.sigmoid(x));
  }

  @Override
  public NDArray add(NDArray a, NDArray b) {
    return a.add(b);
  }

  @Override
  public NDArray scale(NDArray x, double factor) {
    return times(x, factor);
  }

  /**
   * x · factor, safe inside a {@link ai.djl.training.GradientCollector}. DJL's {@code
   * x.mul(Number)} wraps the number in a tensor over a direct ByteBuffer and closes it at once;
   * autograd keeps that tensor for the backward pass, so once the garbage collector frees the
   * buffer the gradient reads whatever memory took its place (sporadic NaN or wrong gradients under
   * load). A scalar made by PyTorch owns its memory and lives as long as the graph needs it. Use
   * this for every multiplication by a number that autograd differentiates.
   */
  public static NDArray times(NDArray x, double factor) {
    NDArray scalar = x.getManager().full(new Shape(), (float) factor, x.getDataType());
    return x.mul(scalar);
  }

  @Override
  public NDArray addPerChannel(NDArray x, NDArray v) {
    Shape s = v.getShape();
    return x.add(v.reshape(s.get(0), s.get(1), 1, 1));
  }

  @Override
  public NDArray concatChannels(NDArray a, NDArray b) {
    return a.concat(b, 1);
  }

  @Override
  public NDArray upsample2(NDArray x) {
    return x.repeat(2, 2).repeat(3, 2);
  }

  @Override
  public NDArray sliceChannels(NDArray x, int from, int to) {
    return x.get(new NDIndex(":, {}:{}", from, to));
  }

  @Override
  public NDArray fourierFeatures(NDArray c, float[] frequencies) {
    NDArray f = c.getManager().create(frequencies).reshape(1, frequencies.length);
    NDArray phase = c.reshape(-1, 1).mul(f);
    return phase.cos().concat(phase.sin(), 1);
  }

  @Override
  public NDArray perSampleConstant(NDArray x, double value) {
    return x.getManager().full(new Shape(x.getShape().get(0)), (float) value);
  }

  @Override
  public NDArray channelAffine(NDArray x, double[] scale, double[] shift) {
    return x.mul(perChannel(x, scale)).add(perChannel(x, shift));
  }

  @Override
  public NDArray clampChannels(NDArray x, double[] lower, double[] upper) {
    return x.maximum(perChannel(x, lower)).minimum(perChannel(x, upper));
  }

  @Override
  public NDArray maskPixels(NDArray x, float[] keep, float[] fill) {
    Shape plane = x.getShape().slice(1);
    NDManager manager = x.getManager();
    return x.mul(manager.create(keep, plane)).add(manager.create(fill, plane));
  }

  /** values[c] as a [C, 1, 1] tensor in x's manager, broadcasting over N, H and W. */
  private static NDArray perChannel(NDArray x, double[] values) {
    return x.getManager().create(toFloat(values)).reshape(values.length, 1, 1);
  }

  static float[] toFloat(double[] values) {
    float[] out = new float[values.length];
    for (int k = 0; k < values.length; k++) {
      out[k] = (float) values[k];
    }
    return out;
  }
}
