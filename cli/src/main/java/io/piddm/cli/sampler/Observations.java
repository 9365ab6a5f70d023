package io.piddm.cli.sampler;

import io.piddm.api.sampler.ReconstructSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Turns arrays read from {@code .npy} files into the model's layout [C, H, W], and builds the
 * observation masks of a reconstruction: whole observed channels, a dense mask file, or random
 * points, plus the known boundary values of the solution.
 *
 * <p>Layouts accepted for an array of observations (or a reference field, or a mask):
 *
 * <ul>
 *   <li>[N, C, H, W]: field {@code index} of a stack, e.g. a dataset's {@code fields.npy} or the
 *       {@code samples.npy} of {@code piddm sample};
 *   <li>[C, H, W]: every channel of the model (those not observed are ignored);
 *   <li>[K, H, W] with K the number of observed channels (fewer than C): the observed channels, in
 *       the model's channel order;
 *   <li>[H, W]: the one observed channel (a mask of this shape applies to every observed channel).
 * </ul>
 *
 * H and W are taken from the file and not checked here: the sampler answers INVALID_ARGUMENT when
 * they are not the model's grid.
 */
public final class Observations {

  /** Values in the model's channel layout: {@code data} is C × H × W. */
  public record Planes(float[] data, int channels, int height, int width) {
    public Planes {
      if ((long) channels * height * width != data.length) {
        throw new IllegalArgumentException(
            "planes: " + data.length + " values for " + channels + "×" + height + "×" + width);
      }
    }

    public int plane() {
      return height * width;
    }

    public int[] shape() {
      return new int[] {channels, height, width};
    }
  }

  private Observations() {}

  /**
   * Arranges {@code array} into {@code channels} planes (layouts in the class comment). {@code
   * observed[c]} says which channels the file may hold alone; channels the file does not hold are
   * zero. {@code what} names the option in errors (IllegalArgumentException).
   */
  public static Planes arrange(
      NpyFields.Array array, int index, int channels, boolean[] observed, String what) {
    int[] s = array.shape();
    int k = count(observed);
    switch (array.rank()) {
      case 4 -> {
        if (index < 0 || index >= s[0]) {
          throw new IllegalArgumentException(
              what + ": --index " + index + " is outside the " + s[0] + " fields of the stack");
        }
        requireChannels(what, array, s[1], channels);
        int d = s[1] * s[2] * s[3];
        return new Planes(
            Arrays.copyOfRange(array.data(), index * d, (index + 1) * d), channels, s[2], s[3]);
      }
      case 3 -> {
        if (s[0] == channels) {
          return new Planes(array.data().clone(), channels, s[1], s[2]);
        }
        if (s[0] == k) {
          return spread(array.data(), channels, observed, s[1], s[2], false);
        }
        throw new IllegalArgumentException(
            what
                + ": shape "
                + array.shapeText()
                + " holds "
                + s[0]
                + " channels; expected "
                + channels
                + " (every channel of the model) or "
                + k
                + " (the observed ones)");
      }
      case 2 -> {
        if (k != 1) {
          throw new IllegalArgumentException(
              what
                  + ": shape "
                  + array.shapeText()
                  + " is one channel, but "
                  + k
                  + " channels are observed; give [C, H, W] or ["
                  + k
                  + ", H, W]");
        }
        return spread(array.data(), channels, observed, s[0], s[1], false);
      }
      default ->
          throw new IllegalArgumentException(
              what + ": shape " + array.shapeText() + " is not [H, W], [C, H, W] or [N, C, H, W]");
    }
  }

  /**
   * A whole reference field: [N, C, H, W] (field {@code index}), [C, H, W], or [H, W] for a
   * one-channel model.
   */
  public static Planes arrangeField(NpyFields.Array array, int index, int channels, String what) {
    boolean[] all = new boolean[channels];
    Arrays.fill(all, true);
    return arrange(array, index, channels, all, what);
  }

  /**
   * A dense mask from a file: like {@link #arrange}, except that an [H, W] mask applies to every
   * observed channel. Entries of channels not observed are 0.
   */
  public static Planes arrangeMask(
      NpyFields.Array array, int index, int channels, boolean[] observed) {
    Planes planes =
        array.rank() == 2
            ? spread(array.data(), channels, observed, array.shape()[0], array.shape()[1], true)
            : arrange(array, index, channels, observed, "--mask");
    float[] m = planes.data();
    for (int c = 0; c < channels; c++) {
      if (!observed[c]) {
        Arrays.fill(m, c * planes.plane(), (c + 1) * planes.plane(), 0f);
      }
    }
    return planes;
  }

  /** 1 on every entry of the observed channels. */
  public static float[] channelMask(boolean[] observed, int height, int width) {
    int plane = height * width;
    float[] mask = new float[observed.length * plane];
    for (int c = 0; c < observed.length; c++) {
      if (observed[c]) {
        Arrays.fill(mask, c * plane, (c + 1) * plane, 1f);
      }
    }
    return mask;
  }

  /**
   * {@code n} distinct random nodes of the H × W grid, drawn from {@code seed}, observed in every
   * observed channel (the same nodes in each, as in {@code piddm eval-reconstruct}'s sparse task).
   */
  public static List<ReconstructSpec.Point> randomPoints(
      int n, long seed, boolean[] observed, int height, int width) {
    int plane = height * width;
    if (n < 1 || n > plane) {
      throw new IllegalArgumentException(
          "--points must be between 1 and " + plane + " (the grid's nodes), got " + n);
    }
    int[] nodes = new int[plane];
    Arrays.setAll(nodes, i -> i);
    Random random = new Random(seed);
    for (int i = 0; i < n; i++) { // partial Fisher–Yates: the first n are a uniform sample
      int j = i + random.nextInt(plane - i);
      int t = nodes[i];
      nodes[i] = nodes[j];
      nodes[j] = t;
    }
    int[] chosen = Arrays.copyOf(nodes, n);
    Arrays.sort(chosen);
    List<ReconstructSpec.Point> points = new ArrayList<>();
    for (int c = 0; c < observed.length; c++) {
      if (observed[c]) {
        for (int node : chosen) {
          points.add(new ReconstructSpec.Point(c, node / width, node % width));
        }
      }
    }
    return points;
  }

  /** The boundary nodes of {@code channel} on an H × W grid, in row-major order. */
  public static List<ReconstructSpec.Point> boundary(int channel, int height, int width) {
    List<ReconstructSpec.Point> points = new ArrayList<>();
    for (int i = 0; i < height; i++) {
      for (int j = 0; j < width; j++) {
        if (i == 0 || j == 0 || i == height - 1 || j == width - 1) {
          points.add(new ReconstructSpec.Point(channel, i, j));
        }
      }
    }
    return points;
  }

  /** Sets {@code mask} (C × H × W) to 1 on {@code points}. */
  public static void mark(float[] mask, List<ReconstructSpec.Point> points, int height, int width) {
    for (ReconstructSpec.Point p : points) {
      mask[(p.channel() * height + p.row()) * width + p.col()] = 1f;
    }
  }

  /**
   * The task a set of observed channels describes: only the first of several channels (the
   * coefficient) is forward, only the last (the solution) inverse, anything else a reconstruction.
   */
  public static ReconstructSpec.Task task(boolean[] observed) {
    int n = observed.length;
    if (n > 1 && count(observed) == 1 && observed[0]) {
      return ReconstructSpec.Task.FORWARD;
    }
    if (n > 1 && count(observed) == 1 && observed[n - 1]) {
      return ReconstructSpec.Task.INVERSE;
    }
    return ReconstructSpec.Task.RECONSTRUCTION;
  }

  static int count(boolean[] observed) {
    int k = 0;
    for (boolean b : observed) {
      k += b ? 1 : 0;
    }
    return k;
  }

  private static void requireChannels(String what, NpyFields.Array array, int got, int channels) {
    if (got != channels) {
      throw new IllegalArgumentException(
          what
              + ": shape "
              + array.shapeText()
              + " holds "
              + got
              + " channels, the model "
              + channels);
    }
  }

  /**
   * Places K planes into the observed channels of C (or one plane into each, {@code broadcast}).
   */
  private static Planes spread(
      float[] data, int channels, boolean[] observed, int height, int width, boolean broadcast) {
    int plane = height * width;
    float[] out = new float[channels * plane];
    int next = 0;
    for (int c = 0; c < channels; c++) {
      if (observed[c]) {
        System.arraycopy(data, broadcast ? 0 : next * plane, out, c * plane, plane);
        next++;
      }
    }
    return new Planes(out, channels, height, width);
  }
}
