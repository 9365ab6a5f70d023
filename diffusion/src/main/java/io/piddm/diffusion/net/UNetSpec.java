package io.piddm.diffusion.net;

import java.util.List;

/**
 * The layer description a UNet is built from, and from which later issues write the ONNX graphs:
 * image channels, the width of each resolution level, residual blocks per level, GroupNorm groups
 * and the noise-embedding size.
 */
public record UNetSpec(
    int channels, List<Integer> widths, int blocksPerLevel, int normGroups, int embeddingSize) {

  /**
   * Output convolutions get at least this many filters (a oneDNN pitfall: narrower ones gave NaN).
   */
  public static final int MIN_CONV_FILTERS = 16;

  public UNetSpec {
    widths = List.copyOf(widths);
    if (channels < 1
        || widths.isEmpty()
        || blocksPerLevel < 1
        || normGroups < 1
        || embeddingSize < 2) {
      throw new IllegalArgumentException(
          "invalid UNet spec " + widths + ", blocks " + blocksPerLevel);
    }
    for (int w : widths) {
      if (w < MIN_CONV_FILTERS || w % normGroups != 0) {
        throw new IllegalArgumentException(
            "widths: each must be ≥ "
                + MIN_CONV_FILTERS
                + " and divisible by normGroups "
                + normGroups
                + ", got "
                + w);
      }
    }
  }

  /** About 0.5 M parameters, 2 levels: the 32² preset. */
  public static UNetSpec preset32(int channels) {
    return new UNetSpec(channels, List.of(16, 32, 64), 1, 8, 64);
  }

  /** About 2 M parameters, 3 levels: the 64² preset. */
  public static UNetSpec preset64(int channels) {
    return new UNetSpec(channels, List.of(16, 32, 64, 128), 1, 8, 64);
  }

  /** A small net for tests. */
  public static UNetSpec tiny(int channels) {
    return new UNetSpec(channels, List.of(16, 32), 1, 4, 32);
  }

  public int levels() {
    return widths.size();
  }

  /** The grid must halve cleanly at every level below the top. */
  public void requireResolution(int size) {
    int divisor = 1 << (levels() - 1);
    if (size % divisor != 0) {
      throw new IllegalArgumentException(
          "resolution "
              + size
              + " is not divisible by "
              + divisor
              + " for "
              + levels()
              + " levels");
    }
  }
}
