package io.piddm.physics.render;

/**
 * The viridis colour map (perceptually uniform, readable in grey and by colour-blind readers),
 * interpolated linearly in sRGB between its nine standard stops.
 */
public final class Viridis {

  private static final int[] STOPS = {
    0x440154, 0x472c7a, 0x3b518b, 0x2c718e, 0x21908d, 0x27ad81, 0x5cc863, 0xaadc32, 0xfde725
  };

  private Viridis() {}

  /** The RGB colour for t in [0, 1] (clamped; NaN maps to grey). */
  public static int rgb(double t) {
    if (Double.isNaN(t)) {
      return 0x808080;
    }
    double x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
    int i = Math.min(STOPS.length - 2, (int) Math.floor(x));
    double f = x - i;
    int a = STOPS[i];
    int b = STOPS[i + 1];
    int r = mix((a >> 16) & 0xff, (b >> 16) & 0xff, f);
    int g = mix((a >> 8) & 0xff, (b >> 8) & 0xff, f);
    int bl = mix(a & 0xff, b & 0xff, f);
    return (r << 16) | (g << 8) | bl;
  }

  private static int mix(int a, int b, double f) {
    return (int) Math.round(a + (b - a) * f);
  }
}
