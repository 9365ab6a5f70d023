package io.piddm.diffusion.net;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The denoiser network F(x, c_noise) of the teacher, written once against {@link Ops}: a noise
 * embedding (Fourier features → MLP), residual blocks with GroupNorm + SiLU whose bias is shifted
 * by the embedding, stride-2 convolutions down, nearest upsampling + convolution up, concatenated
 * skips, and an output convolution of at least 16 filters that is sliced to the image channels.
 *
 * <p>{@link #shapes()} lists every parameter with its shape; a backend creates them, and {@link
 * #forward} reads them by name.
 */
public final class UNet {

  private final UNetSpec spec;
  private final Map<String, long[]> shapes = new LinkedHashMap<>();
  private final float[] frequencies;

  public UNet(UNetSpec spec) {
    this.spec = spec;
    int e = spec.embeddingSize();
    frequencies = new float[e / 2];
    for (int k = 0; k < frequencies.length; k++) {
      // 1 … 64 cycles per unit of c_noise = ln(σ)/4, geometrically spaced
      frequencies[k] =
          (float) (2 * Math.PI * Math.pow(64, k / (double) Math.max(1, frequencies.length - 1)));
    }
    linear("emb.0", 2 * frequencies.length, e);
    linear("emb.1", e, e);
    int w0 = spec.widths().get(0);
    conv("in", spec.channels(), w0, 3);
    int channels = w0;
    Deque<Integer> skips = new ArrayDeque<>();
    skips.push(channels);
    for (int level = 0; level < spec.levels(); level++) {
      int width = spec.widths().get(level);
      for (int b = 0; b < spec.blocksPerLevel(); b++) {
        resBlockShapes("down." + level + "." + b, channels, width);
        channels = width;
        skips.push(channels);
      }
      if (level < spec.levels() - 1) {
        conv("down." + level + ".pool", channels, channels, 3);
        skips.push(channels);
      }
    }
    resBlockShapes("mid.0", channels, channels);
    resBlockShapes("mid.1", channels, channels);
    for (int level = spec.levels() - 1; level >= 0; level--) {
      int width = spec.widths().get(level);
      for (int b = 0; b <= spec.blocksPerLevel(); b++) {
        resBlockShapes("up." + level + "." + b, channels + skips.pop(), width);
        channels = width;
      }
      if (level > 0) {
        conv("up." + level + ".upsample", channels, channels, 3);
      }
    }
    norm("out.norm", channels);
    conv("out", channels, Math.max(UNetSpec.MIN_CONV_FILTERS, spec.channels()), 3);
  }

  public UNetSpec spec() {
    return spec;
  }

  /** Parameter names and shapes in creation order. */
  public Map<String, long[]> shapes() {
    return shapes;
  }

  public long parameterCount() {
    long n = 0;
    for (long[] s : shapes.values()) {
      long p = 1;
      for (long d : s) {
        p *= d;
      }
      n += p;
    }
    return n;
  }

  /** F(x, c_noise): x [N, C, S, S], cNoise [N]. */
  public <T> T forward(Ops<T> ops, Function<String, T> param, T x, T cNoise) {
    T emb = ops.fourierFeatures(cNoise, frequencies);
    emb = ops.silu(linear(ops, param, "emb.0", emb));
    T embAct = ops.silu(linear(ops, param, "emb.1", emb));

    T h = conv(ops, param, "in", x, 1, 1);
    Deque<T> skips = new ArrayDeque<>();
    skips.push(h);
    for (int level = 0; level < spec.levels(); level++) {
      for (int b = 0; b < spec.blocksPerLevel(); b++) {
        h = resBlock(ops, param, "down." + level + "." + b, h, embAct);
        skips.push(h);
      }
      if (level < spec.levels() - 1) {
        h = conv(ops, param, "down." + level + ".pool", h, 2, 1);
        skips.push(h);
      }
    }
    h = resBlock(ops, param, "mid.0", h, embAct);
    h = resBlock(ops, param, "mid.1", h, embAct);
    for (int level = spec.levels() - 1; level >= 0; level--) {
      for (int b = 0; b <= spec.blocksPerLevel(); b++) {
        h =
            resBlock(
                ops, param, "up." + level + "." + b, ops.concatChannels(h, skips.pop()), embAct);
      }
      if (level > 0) {
        h = conv(ops, param, "up." + level + ".upsample", ops.upsample2(h), 1, 1);
      }
    }
    h = conv(ops, param, "out", normSilu(ops, param, "out.norm", h), 1, 1);
    return ops.sliceChannels(h, 0, spec.channels());
  }

  private <T> T resBlock(Ops<T> ops, Function<String, T> param, String name, T x, T embAct) {
    T h = conv(ops, param, name + ".conv0", normSilu(ops, param, name + ".norm0", x), 1, 1);
    h = ops.addPerChannel(h, linear(ops, param, name + ".emb", embAct));
    h = conv(ops, param, name + ".conv1", normSilu(ops, param, name + ".norm1", h), 1, 1);
    T skip =
        shapes.containsKey(name + ".skip.weight") ? conv(ops, param, name + ".skip", x, 1, 0) : x;
    return ops.scale(ops.add(h, skip), 1 / Math.sqrt(2));
  }

  /** The layers by parameter name, so each layer's parameters are looked up in one place. */
  private static <T> T conv(
      Ops<T> ops, Function<String, T> param, String name, T x, int stride, int padding) {
    return ops.conv2d(
        x, param.apply(name + ".weight"), param.apply(name + ".bias"), stride, padding);
  }

  private static <T> T linear(Ops<T> ops, Function<String, T> param, String name, T x) {
    return ops.linear(x, param.apply(name + ".weight"), param.apply(name + ".bias"));
  }

  private <T> T normSilu(Ops<T> ops, Function<String, T> param, String name, T x) {
    return ops.silu(
        ops.groupNorm(
            x, spec.normGroups(), param.apply(name + ".gamma"), param.apply(name + ".beta")));
  }

  private void resBlockShapes(String name, int in, int out) {
    norm(name + ".norm0", in);
    conv(name + ".conv0", in, out, 3);
    linear(name + ".emb", spec.embeddingSize(), out);
    norm(name + ".norm1", out);
    conv(name + ".conv1", out, out, 3);
    if (in != out) {
      conv(name + ".skip", in, out, 1);
    }
  }

  private void conv(String name, int in, int out, int k) {
    shapes.put(name + ".weight", new long[] {out, in, k, k});
    shapes.put(name + ".bias", new long[] {out});
  }

  private void linear(String name, int in, int out) {
    shapes.put(name + ".weight", new long[] {out, in});
    shapes.put(name + ".bias", new long[] {out});
  }

  /** Scale and shift as [C, 1, 1], so they broadcast over [N, C, H, W] without a reshape. */
  private void norm(String name, int channels) {
    shapes.put(name + ".gamma", new long[] {channels, 1, 1});
    shapes.put(name + ".beta", new long[] {channels, 1, 1});
  }

  /**
   * Weights for tests and benches: the initial values plus Gaussian noise of 0.05, so every layer,
   * the zero-initialised ones too, contributes to the output. Deterministic in {@code seed}.
   */
  public Map<String, float[]> perturbedWeights(long seed) {
    java.util.Random random = new java.util.Random(seed);
    Map<String, float[]> weights = new LinkedHashMap<>();
    shapes.forEach(
        (name, shape) -> {
          float[] v = initialValues(name, shape, random);
          for (int k = 0; k < v.length; k++) {
            v[k] += (float) (0.05 * random.nextGaussian());
          }
          weights.put(name, v);
        });
    return weights;
  }

  /**
   * Initial value rule for a parameter: weights uniform in ±√(3/fan_in) (unit-variance
   * activations), biases and shifts 0, GroupNorm scales 1, and the second convolution of each
   * residual block and the output convolution 0 so the initial network is close to identity-free.
   */
  public static float[] initialValues(String name, long[] shape, java.util.Random random) {
    long count = 1;
    for (long d : shape) {
      count *= d;
    }
    float[] values = new float[Math.toIntExact(count)];
    if (name.endsWith(".gamma")) {
      java.util.Arrays.fill(values, 1f);
      return values;
    }
    if (!name.endsWith(".weight") || name.endsWith("conv1.weight") || name.equals("out.weight")) {
      return values;
    }
    long fanIn = count / shape[0];
    double bound = Math.sqrt(3.0 / fanIn);
    for (int k = 0; k < values.length; k++) {
      values[k] = (float) ((2 * random.nextDouble() - 1) * bound);
    }
    return values;
  }
}
