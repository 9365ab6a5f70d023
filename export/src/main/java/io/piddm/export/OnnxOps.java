package io.piddm.export;

import static io.piddm.export.OnnxGraph.INT64;
import static io.piddm.export.OnnxGraph.floatTensorAttribute;
import static io.piddm.export.OnnxGraph.integer;
import static io.piddm.export.OnnxGraph.ints;
import static io.piddm.export.OnnxGraph.real;
import static io.piddm.export.OnnxGraph.string;

import io.piddm.diffusion.net.Ops;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@link Ops} on symbolic tensors: every op writes its forward ONNX nodes into an {@link OnnxGraph}
 * and, when an input depends on a {@linkplain #track tracked} value, pushes its backward rule on a
 * tape. {@link #gradient} replays the tape in reverse and so writes ∂output/∂input as ONNX nodes —
 * ONNX Runtime's Java API only runs graphs, it cannot differentiate them.
 *
 * <p>The rules: the layers of the network (Conv, Gemm, the GroupNorm core, nearest upsampling), and
 * the primitives everything else is composed of (broadcasting Add/Sub/Mul/Div, Sigmoid, Cos, Sin,
 * Slice, Concat, Unsqueeze/Squeeze, ReduceSum/ReduceMean, MatMul). SiLU, the affine parts of
 * GroupNorm, the embedding and the residual expressions are compositions of these, so a new
 * residual needs no new backward code and a new layer type adds one forward and one backward rule.
 * Fan-out gradients are summed, and every gradient's shape is checked against its tensor's.
 */
public final class OnnxOps implements Ops<Sym> {

  /** GroupNorm's ε, as {@code DjlOps} uses (inside the square root, biased variance). */
  public static final double NORM_EPS = 1e-5;

  private interface Backward {
    void apply(Sym gy);
  }

  private record Step(Sym output, Backward rule) {}

  private final OnnxGraph g;
  private final Set<String> tracked = new HashSet<>();
  private final List<Step> tape = new ArrayList<>();
  private boolean recording = true;
  private Map<String, Sym> grads;

  public OnnxOps(OnnxGraph graph) {
    this.g = graph;
  }

  public OnnxGraph graph() {
    return g;
  }

  /** Marks {@code x} as a value to differentiate with respect to. */
  public Sym track(Sym x) {
    tracked.add(x.name());
    return x;
  }

  public boolean isTracked(Sym x) {
    return tracked.contains(x.name());
  }

  /**
   * Writes the nodes of ∂⟨seed, output⟩/∂wrt: replays the tape in reverse from {@code output} with
   * incoming gradient {@code seed} (same shape as output). Call once per graph.
   */
  public Sym gradient(Sym output, Sym seed, Sym wrt) {
    requireSameShape(output, seed);
    recording = false;
    grads = new HashMap<>();
    grads.put(output.name(), seed);
    for (int k = tape.size() - 1; k >= 0; k--) {
      Step step = tape.get(k);
      Sym gy = grads.get(step.output().name());
      if (gy != null) {
        step.rule().apply(gy);
      }
    }
    Sym result = grads.get(wrt.name());
    if (result == null) {
      throw new IllegalStateException(output + " does not depend on " + wrt);
    }
    return result;
  }

  // ---------------------------------------------------------------- network layers (Ops)

  @Override
  public Sym conv2d(Sym x, Sym weight, Sym bias, int stride, int padding) {
    long[] ws = weight.shape();
    int k = (int) ws[2];
    long[] xs = x.shape();
    long h = (xs[2] + 2L * padding - k) / stride + 1;
    long w = (xs[3] + 2L * padding - k) / stride + 1;
    Sym y =
        g.node(
            "Conv",
            new long[] {xs[0], ws[0], h, w},
            List.of(x, weight, bias),
            ints("kernel_shape", k, k),
            ints("pads", padding, padding, padding, padding),
            ints("strides", stride, stride));
    return record(
        y,
        gy -> {
          float[] data = g.initializerData(weight);
          if (stride == 1 && data != null && k - 1 - padding >= 0) {
            // Stride 1: a Conv with flipped, in/out-swapped weights (faster than ConvTranspose).
            Sym flipped = flippedTransposed(weight, data);
            int p = k - 1 - padding;
            grad(
                x,
                () ->
                    g.node(
                        "Conv",
                        xs,
                        List.of(gy, flipped),
                        ints("kernel_shape", k, k),
                        ints("pads", p, p, p, p),
                        ints("strides", 1, 1)));
          } else {
            // The weight initializer as is (same layout, no flip); output_padding restores the
            // pixel a strided Conv drops.
            long outPadH = (xs[2] + 2L * padding - k) % stride;
            long outPadW = (xs[3] + 2L * padding - k) % stride;
            grad(
                x,
                () ->
                    g.node(
                        "ConvTranspose",
                        new long[] {
                          xs[0],
                          ws[1],
                          (h - 1) * stride - 2L * padding + k + outPadH,
                          (w - 1) * stride - 2L * padding + k + outPadW
                        },
                        List.of(gy, weight),
                        ints("kernel_shape", k, k),
                        ints("pads", padding, padding, padding, padding),
                        ints("strides", stride, stride),
                        ints("output_padding", outPadH, outPadW)));
          }
        },
        x);
  }

  private Sym flippedTransposed(Sym weight, float[] w) {
    String name = weight.name() + ".flipped_t";
    long[] s = weight.shape();
    int out = (int) s[0];
    int in = (int) s[1];
    int k = (int) s[2];
    float[] f = new float[w.length];
    for (int o = 0; o < out; o++) {
      for (int i = 0; i < in; i++) {
        for (int a = 0; a < k; a++) {
          for (int b = 0; b < k; b++) {
            f[((i * out + o) * k + (k - 1 - a)) * k + (k - 1 - b)] =
                w[((o * in + i) * k + a) * k + b];
          }
        }
      }
    }
    return g.initializer(name, f, in, out, k, k);
  }

  @Override
  public Sym linear(Sym x, Sym weight, Sym bias) {
    if (x.rank() != 2) {
      throw new IllegalArgumentException("linear: input must be [N, in], got " + x);
    }
    Sym y =
        g.node(
            "Gemm",
            new long[] {x.dim(0), weight.dim(0)},
            List.of(x, weight, bias),
            integer("transB", 1));
    return record(y, gy -> grad(x, () -> g.node("MatMul", x.shape(), List.of(gy, weight))), x);
  }

  @Override
  public Sym groupNorm(Sym x, int groups, Sym gamma, Sym beta) {
    return add(mul(normalize(x, groups), gamma), beta);
  }

  /**
   * The statistics part of GroupNorm: x̂ = (x − mean) / √(var + ε) per sample and group, written as
   * InstanceNormalization over [N, G, C/G·H·W] (no GroupNormalization op at opset 17). Backward: ∂x
   * = rstd·(g − mean(g) − x̂·mean(g·x̂)), rstd recomputed with ReduceMean.
   */
  public Sym normalize(Sym x, int groups) {
    long[] xs = x.shape();
    if (xs.length != 4 || xs[1] % groups != 0) {
      throw new IllegalArgumentException("groupNorm: " + x + " with " + groups + " groups");
    }
    long per = xs[1] / groups * xs[2] * xs[3];
    long[] grouped = {xs[0], groups, per};
    Sym groupShape = g.longs(0, groups, -1);
    Sym xr = g.node("Reshape", grouped, List.of(x, groupShape));
    float[] ones = new float[groups];
    Arrays.fill(ones, 1f);
    Sym xhat =
        g.node(
            "InstanceNormalization",
            grouped,
            List.of(xr, g.constant(ones, groups), g.constant(new float[groups], groups)),
            real("epsilon", NORM_EPS));
    Sym fullShape = g.longs(0, xs[1], xs[2], xs[3]);
    Sym y = g.node("Reshape", xs, List.of(xhat, fullShape));
    return record(
        y,
        gy ->
            grad(
                x,
                () -> {
                  Sym gr = g.node("Reshape", grouped, List.of(gy, groupShape));
                  Sym meanG = reduceMean(gr, true, 2);
                  Sym meanGx = reduceMean(mul(gr, xhat), true, 2);
                  Sym centred = sub(xr, reduceMean(xr, true, 2));
                  Sym var = reduceMean(mul(centred, centred), true, 2);
                  Sym rstd = unary("Reciprocal", unary("Sqrt", add(var, g.scalar(NORM_EPS))));
                  Sym gxr = mul(rstd, sub(sub(gr, meanG), mul(xhat, meanGx)));
                  return g.node("Reshape", xs, List.of(gxr, fullShape));
                }),
        x);
  }

  @Override
  public Sym silu(Sym x) {
    return mul(x, sigmoid(x));
  }

  @Override
  public Sym add(Sym a, Sym b) {
    return binary("Add", a, b);
  }

  @Override
  public Sym scale(Sym x, double factor) {
    return mul(x, g.scalar(factor));
  }

  @Override
  public Sym addPerChannel(Sym x, Sym v) {
    return add(x, unsqueeze(v, 2, 3));
  }

  @Override
  public Sym concatChannels(Sym a, Sym b) {
    return concat(1, a, b);
  }

  /**
   * Nearest upsampling by 2: Resize with roi "" (asymmetric, floor). Backward: the sum over each
   * 2×2 block, as Reshape + ReduceSum.
   */
  @Override
  public Sym upsample2(Sym x) {
    long[] xs = x.shape();
    Sym y =
        g.node(
            "Resize",
            new long[] {xs[0], xs[1], 2 * xs[2], 2 * xs[3]},
            List.of(x, OnnxGraph.NONE, g.constant(new float[] {1, 1, 2, 2}, 4)),
            string("mode", "nearest"),
            string("coordinate_transformation_mode", "asymmetric"),
            string("nearest_mode", "floor"));
    return record(
        y,
        gy ->
            grad(
                x,
                () -> {
                  Sym blocks =
                      g.node(
                          "Reshape",
                          new long[] {xs[0], xs[1], xs[2], 2, xs[3], 2},
                          List.of(gy, g.longs(0, xs[1], xs[2], 2, xs[3], 2)));
                  return g.node(
                      "ReduceSum", xs, List.of(blocks, g.longs(3, 5)), integer("keepdims", 0));
                }),
        x);
  }

  @Override
  public Sym sliceChannels(Sym x, int from, int to) {
    return slice(x, new long[] {from}, new long[] {to}, new long[] {1});
  }

  @Override
  public Sym fourierFeatures(Sym c, float[] frequencies) {
    Sym phase = mul(unsqueeze(c, 1), g.constant(frequencies, 1, frequencies.length));
    return concat(1, unary("Cos", phase), unary("Sin", phase));
  }

  /**
   * The value as a [1] tensor: it is the same for every sample, and broadcasting carries it over
   * the batch, so the batch size stays free.
   */
  @Override
  public Sym perSampleConstant(Sym x, double value) {
    return g.constant(new float[] {(float) value}, 1);
  }

  @Override
  public Sym channelAffine(Sym x, double[] scale, double[] shift) {
    int c = scale.length;
    return add(mul(x, g.constant(toFloat(scale), c, 1, 1)), g.constant(toFloat(shift), c, 1, 1));
  }

  /**
   * Max then Min against per-channel constants [C, 1, 1]. Backward: the gradient where the clamp
   * left the value as it was (y = x), zero where it cut it.
   */
  @Override
  public Sym clampChannels(Sym x, double[] lower, double[] upper) {
    int c = lower.length;
    Sym y =
        g.node(
            "Min",
            x.shape(),
            List.of(
                g.node("Max", x.shape(), List.of(x, g.constant(toFloat(lower), c, 1, 1))),
                g.constant(toFloat(upper), c, 1, 1)));
    return record(
        y,
        gy ->
            grad(
                x,
                () -> {
                  Sym same = g.node("Equal", OnnxGraph.BOOL, x.shape(), List.of(y, x));
                  Sym pass =
                      g.node("Cast", x.shape(), List.of(same), integer("to", OnnxGraph.FLOAT));
                  return g.node("Mul", x.shape(), List.of(gy, pass));
                }),
        x);
  }

  @Override
  public Sym maskPixels(Sym x, float[] keep, float[] fill) {
    long[] plane = Arrays.copyOfRange(x.shape(), 1, x.rank());
    return add(mul(x, g.constant(keep, plane)), g.constant(fill, plane));
  }

  // ---------------------------------------------------------------- primitives

  public Sym sub(Sym a, Sym b) {
    return binary("Sub", a, b);
  }

  public Sym mul(Sym a, Sym b) {
    return binary("Mul", a, b);
  }

  public Sym div(Sym a, Sym b) {
    return binary("Div", a, b);
  }

  private Sym binary(String op, Sym a, Sym b) {
    Sym y = g.node(op, broadcast(a.shape(), b.shape()), List.of(a, b));
    return record(
        y,
        gy -> {
          switch (op) {
            case "Add" -> {
              grad(a, () -> unbroadcast(gy, a));
              grad(b, () -> unbroadcast(gy, b));
            }
            case "Sub" -> {
              grad(a, () -> unbroadcast(gy, a));
              grad(b, () -> unbroadcast(unary("Neg", gy), b));
            }
            case "Mul" -> {
              grad(a, () -> unbroadcast(mul(gy, b), a));
              grad(b, () -> unbroadcast(mul(gy, a), b));
            }
            case "Div" -> {
              grad(a, () -> unbroadcast(div(gy, b), a));
              grad(b, () -> unbroadcast(unary("Neg", div(mul(gy, y), b)), b));
            }
            default -> throw new IllegalStateException(op);
          }
        },
        a,
        b);
  }

  /**
   * Matrix product over the last two axes, the leading ones broadcast (ONNX MatMul; both operands
   * rank ≥ 2). Backward: ∂a = g·bᵀ and ∂b = aᵀ·g, summed back over broadcast axes.
   */
  public Sym matMul(Sym a, Sym b) {
    long[] as = a.shape();
    long[] bs = b.shape();
    if (as.length < 2 || bs.length < 2 || as[as.length - 1] != bs[bs.length - 2]) {
      throw new IllegalArgumentException("matMul: " + a + " × " + b);
    }
    long[] lead =
        broadcast(
            Arrays.copyOfRange(as, 0, as.length - 2), Arrays.copyOfRange(bs, 0, bs.length - 2));
    long[] ys = Arrays.copyOf(lead, lead.length + 2);
    ys[lead.length] = as[as.length - 2];
    ys[lead.length + 1] = bs[bs.length - 1];
    Sym y = g.node("MatMul", ys, List.of(a, b));
    return record(
        y,
        gy -> {
          long[] gaShape = ys.clone();
          gaShape[lead.length + 1] = as[as.length - 1];
          long[] gbShape = ys.clone();
          gbShape[lead.length] = bs[bs.length - 2];
          grad(a, () -> unbroadcast(g.node("MatMul", gaShape, List.of(gy, transposed(b))), a));
          grad(b, () -> unbroadcast(g.node("MatMul", gbShape, List.of(transposed(a), gy)), b));
        },
        a,
        b);
  }

  /** The last two axes swapped (forward only: used inside backward rules). */
  private Sym transposed(Sym x) {
    int r = x.rank();
    long[] perm = new long[r];
    for (int k = 0; k < r; k++) {
      perm[k] = k;
    }
    perm[r - 2] = r - 1;
    perm[r - 1] = r - 2;
    long[] shape = x.shape();
    long[] ts = shape.clone();
    ts[r - 2] = shape[r - 1];
    ts[r - 1] = shape[r - 2];
    return g.node("Transpose", ts, List.of(x), ints("perm", perm));
  }

  /** Elementwise one-input ops: Sigmoid, Cos, Sin (differentiable); Neg, Sqrt, Reciprocal. */
  public Sym unary(String op, Sym x) {
    Sym y = g.node(op, x.shape(), List.of(x));
    return record(
        y,
        gy ->
            grad(
                x,
                () ->
                    switch (op) {
                      case "Sigmoid" -> mul(gy, mul(y, sub(g.scalar(1), y)));
                      case "Cos" -> unary("Neg", mul(gy, unary("Sin", x)));
                      case "Sin" -> mul(gy, unary("Cos", x));
                      case "Neg" -> unary("Neg", gy);
                      default -> throw new UnsupportedOperationException("no backward for " + op);
                    }),
        x);
  }

  public Sym sigmoid(Sym x) {
    return unary("Sigmoid", x);
  }

  /** x[starts:ends] along {@code axes}; backward: zero Pad. */
  public Sym slice(Sym x, long[] starts, long[] ends, long[] axes) {
    long[] xs = x.shape();
    long[] ys = xs.clone();
    long[] pads = new long[2 * xs.length];
    for (int k = 0; k < axes.length; k++) {
      int axis = (int) axes[k];
      if (xs[axis] < 0 || starts[k] < 0 || ends[k] > xs[axis] || starts[k] >= ends[k]) {
        throw new IllegalArgumentException(
            "slice " + starts[k] + ":" + ends[k] + " of axis " + axis + " of " + x);
      }
      ys[axis] = ends[k] - starts[k];
      pads[axis] = starts[k];
      pads[xs.length + axis] = xs[axis] - ends[k];
    }
    Sym y = g.node("Slice", ys, List.of(x, g.longs(starts), g.longs(ends), g.longs(axes)));
    return record(y, gy -> grad(x, () -> g.node("Pad", xs, List.of(gy, g.longs(pads)))), x);
  }

  /** Concatenation along {@code axis}; backward: Split. */
  public Sym concat(int axis, Sym... parts) {
    long[] ys = parts[0].shape();
    long[] sizes = new long[parts.length];
    ys[axis] = 0;
    for (int k = 0; k < parts.length; k++) {
      sizes[k] = parts[k].dim(axis);
      ys[axis] += sizes[k];
    }
    Sym y = g.node("Concat", ys, List.of(parts), integer("axis", axis));
    return record(
        y,
        gy -> {
          List<long[]> shapes = new ArrayList<>();
          for (Sym p : parts) {
            shapes.add(p.shape());
          }
          List<Sym> pieces =
              g.nodeMulti(
                  "Split",
                  OnnxGraph.FLOAT,
                  shapes,
                  List.of(gy, g.longs(sizes)),
                  integer("axis", axis));
          for (int k = 0; k < parts.length; k++) {
            Sym piece = pieces.get(k);
            grad(parts[k], () -> piece);
          }
        },
        parts);
  }

  public Sym unsqueeze(Sym x, long... axes) {
    long[] ys = insertOnes(x.shape(), axes);
    Sym y = g.node("Unsqueeze", ys, List.of(x, g.longs(axes)));
    return record(y, gy -> grad(x, () -> squeeze(gy, axes)), x);
  }

  public Sym squeeze(Sym x, long... axes) {
    long[] xs = x.shape();
    long[] ys = new long[xs.length - axes.length];
    for (int k = 0, j = 0; k < xs.length; k++) {
      if (!contains(axes, k)) {
        ys[j++] = xs[k];
      } else if (xs[k] != 1) {
        throw new IllegalArgumentException("squeeze axis " + k + " of " + x);
      }
    }
    Sym y = g.node("Squeeze", ys, List.of(x, g.longs(axes)));
    return record(y, gy -> grad(x, () -> unsqueeze(gy, axes)), x);
  }

  /** Sum over {@code axes}; backward: Expand back to the input's shape. */
  public Sym reduceSum(Sym x, boolean keepDims, long... axes) {
    Sym y =
        g.node(
            "ReduceSum",
            reduced(x.shape(), axes, keepDims),
            List.of(x, g.longs(axes)),
            integer("keepdims", keepDims ? 1 : 0));
    return record(y, gy -> grad(x, () -> expandBack(gy, x, keepDims, axes)), x);
  }

  /** Mean over {@code axes} (opset 17: axes as an attribute). */
  public Sym reduceMean(Sym x, boolean keepDims, long... axes) {
    Sym y =
        g.node(
            "ReduceMean",
            reduced(x.shape(), axes, keepDims),
            List.of(x),
            ints("axes", axes),
            integer("keepdims", keepDims ? 1 : 0));
    long count = 1;
    for (long a : axes) {
      count *= x.dim((int) a);
    }
    double inverse = 1.0 / count;
    return record(
        y, gy -> grad(x, () -> expandBack(mul(gy, g.scalar(inverse)), x, keepDims, axes)), x);
  }

  /** A tensor of ones with the shape of {@code x}, whatever the batch size. */
  public Sym onesLike(Sym x) {
    Sym shape = g.node("Shape", INT64, new long[] {x.rank()}, List.of(x));
    return g.node("ConstantOfShape", x.shape(), List.of(shape), floatTensorAttribute("value", 1f));
  }

  private Sym expandBack(Sym gy, Sym x, boolean keptDims, long[] axes) {
    Sym kept = keptDims ? gy : unsqueeze(gy, axes);
    Sym shape = g.node("Shape", INT64, new long[] {x.rank()}, List.of(x));
    return g.node("Expand", x.shape(), List.of(kept, shape));
  }

  // ---------------------------------------------------------------- tape and gradients

  private Sym record(Sym y, Backward rule, Sym... inputs) {
    if (!recording) {
      return y;
    }
    for (Sym in : inputs) {
      if (isTracked(in)) {
        tracked.add(y.name());
        tape.add(new Step(y, rule));
        break;
      }
    }
    return y;
  }

  /** Adds a contribution to x's gradient (fan-out sums), built only when x needs one. */
  private void grad(Sym x, Supplier<Sym> contribution) {
    if (!isTracked(x)) {
      return;
    }
    Sym gx = contribution.get();
    requireSameShape(x, gx);
    grads.merge(x.name(), gx, (old, add) -> g.node("Add", x.shape(), List.of(old, add)));
  }

  private static void requireSameShape(Sym x, Sym gx) {
    if (!x.sameShape(gx)) {
      throw new IllegalStateException(
          "gradient " + gx + " does not have the shape of its tensor " + x);
    }
  }

  /** Sums a broadcast gradient back to {@code target}'s shape. */
  private Sym unbroadcast(Sym gy, Sym target) {
    long[] gs = gy.shape();
    long[] ts = target.shape();
    if (Arrays.equals(gs, ts)) {
      return gy;
    }
    int offset = gs.length - ts.length;
    List<Long> axes = new ArrayList<>();
    for (int k = 0; k < gs.length; k++) {
      if (k < offset || (ts[k - offset] == 1 && gs[k] != 1)) {
        axes.add((long) k);
      }
    }
    long[] ax = axes.stream().mapToLong(Long::longValue).toArray();
    if (ts.length == 0) {
      return g.node("ReduceSum", ts, List.of(gy, g.longs(ax)), integer("keepdims", 0));
    }
    Sym summed =
        g.node(
            "ReduceSum", reduced(gs, ax, true), List.of(gy, g.longs(ax)), integer("keepdims", 1));
    if (offset == 0) {
      return summed;
    }
    for (long d : ts) {
      if (d < 0) {
        throw new IllegalStateException("cannot unbroadcast to a dynamic shape " + target);
      }
    }
    return g.node("Reshape", ts, List.of(summed, g.longs(ts)));
  }

  static long[] broadcast(long[] a, long[] b) {
    int r = Math.max(a.length, b.length);
    long[] out = new long[r];
    for (int k = 0; k < r; k++) {
      int ia = k - (r - a.length);
      int ib = k - (r - b.length);
      long da = ia >= 0 ? a[ia] : 1;
      long db = ib >= 0 ? b[ib] : 1;
      if (da == db || db == 1) {
        out[k] = da;
      } else if (da == 1) {
        out[k] = db;
      } else {
        throw new IllegalArgumentException(
            "shapes " + Sym.describe(a) + " and " + Sym.describe(b) + " do not broadcast");
      }
    }
    return out;
  }

  private static long[] reduced(long[] shape, long[] axes, boolean keepDims) {
    List<Long> out = new ArrayList<>();
    for (int k = 0; k < shape.length; k++) {
      if (!contains(axes, k)) {
        out.add(shape[k]);
      } else if (keepDims) {
        out.add(1L);
      }
    }
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  private static long[] insertOnes(long[] shape, long[] axes) {
    long[] out = new long[shape.length + axes.length];
    for (int k = 0, j = 0; k < out.length; k++) {
      out[k] = contains(axes, k) ? 1 : shape[j++];
    }
    return out;
  }

  private static boolean contains(long[] values, long v) {
    for (long x : values) {
      if (x == v) {
        return true;
      }
    }
    return false;
  }

  static float[] toFloat(double[] values) {
    float[] out = new float[values.length];
    for (int k = 0; k < values.length; k++) {
      out[k] = (float) values[k];
    }
    return out;
  }
}
