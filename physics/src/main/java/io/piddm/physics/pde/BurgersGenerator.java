package io.piddm.physics.pde;

import io.piddm.physics.grid.Check;
import io.piddm.physics.grid.Field;
import io.piddm.physics.random.PeriodicRandomField;
import io.piddm.physics.random.Seeds;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jtransforms.fft.DoubleFFT_1D;

/**
 * Viscous Burgers, u_t + u u_x = ν u_xx on the periodic unit interval, ν = 0.01, from a periodic
 * Gaussian random initial condition. Solved pseudo-spectrally on a fine grid (JTransforms FFT, 2/3
 * dealiasing) with integrating-factor RK4: diffusion is integrated exactly, and the step obeys an
 * advective CFL condition recomputed every step, so it is chosen for stability and accuracy rather
 * than fixed. The stored field is u at {@code timeLevels} equally spaced times in [0, 1] (rows) on
 * {@code points} equally spaced x (columns, x_j = j/points), sampled from the fine grid.
 */
public final class BurgersGenerator implements SampleGenerator {

  public static final double NU = 0.01;
  static final double CFL = 0.4;

  private final int points;
  private final int timeLevels;
  private final int fine;
  private final PeriodicRandomField initial;
  private final DoubleFFT_1D fft;
  private final double[] wavenumber;
  private final boolean[] keep;

  /**
   * @param points stored x points (e.g. 128)
   * @param timeLevels stored time levels including t = 0 and t = 1 (e.g. 128)
   * @param fine points of the solver grid, a multiple of {@code points} (e.g. 1024)
   */
  public BurgersGenerator(int points, int timeLevels, int fine, PeriodicRandomField initial) {
    Check.atLeast("points", points, 8);
    Check.atLeast("timeLevels", timeLevels, 2);
    if (fine < points || fine % points != 0) {
      throw new IllegalArgumentException(
          "fine must be a multiple of points = " + points + ", got " + fine);
    }
    this.points = points;
    this.timeLevels = timeLevels;
    this.fine = fine;
    this.initial = initial;
    this.fft = new DoubleFFT_1D(fine);
    this.wavenumber = new double[fine];
    this.keep = new boolean[fine];
    for (int m = 0; m < fine; m++) {
      int k = m <= fine / 2 ? m : m - fine;
      wavenumber[m] = 2 * Math.PI * k;
      keep[m] = Math.abs(k) < fine / 3.0; // 2/3 rule
    }
  }

  /** The benchmark: 128 x-points × 128 time levels, solved on 1024 points, 32 random modes. */
  public static BurgersGenerator standard(int resolution) {
    int fine = resolution * (int) Math.ceil(1024.0 / resolution); // a multiple of the stored grid
    return new BurgersGenerator(
        resolution, resolution, fine, PeriodicRandomField.standard(Math.min(32, resolution / 4)));
  }

  @Override
  public Map<String, Object> description() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("nu", NU);
    d.put("grf_alpha", initial.alpha());
    d.put("grf_tau", initial.tau());
    d.put("grf_sigma", initial.sigma());
    d.put("x_points", points);
    d.put("time_levels", timeLevels);
    d.put("dx", 1.0 / points);
    d.put("dt_stored", 1.0 / (timeLevels - 1));
    d.put(
        "solver",
        "Fourier pseudo-spectral on "
            + fine
            + " points, 2/3 dealiasing, integrating-factor RK4, adaptive CFL "
            + CFL);
    return d;
  }

  @Override
  public JointField sample(long seed, long index) {
    double[] spectrum = initial.spectrum(Seeds.stream(seed, Pde.BURGERS.ordinal(), index), fine);
    return new JointField(Pde.BURGERS, List.of(solve(spectrum)));
  }

  /** Integrates from the given initial spectrum and samples the stored grid. */
  Field solve(double[] spectrum) {
    Field u = Field.zeros(timeLevels, points);
    double[] v = spectrum.clone();
    double t = 0;
    store(u, 0, v);
    for (int level = 1; level < timeLevels; level++) {
      double target = level / (double) (timeLevels - 1);
      while (t < target - 1e-14) {
        double dt = Math.min(stableStep(v), target - t);
        step(v, dt);
        t += dt;
      }
      store(u, level, v);
    }
    return u;
  }

  private double stableStep(double[] spectrum) {
    double[] physical = toPhysical(spectrum);
    double max = 1e-12;
    for (int m = 0; m < fine; m++) {
      max = Math.max(max, Math.abs(physical[2 * m]));
    }
    return CFL / (fine * max);
  }

  private void step(double[] v, double dt) {
    int n = 2 * fine;
    double[] e = new double[fine];
    for (int m = 0; m < fine; m++) {
      e[m] = Math.exp(-NU * wavenumber[m] * wavenumber[m] * dt / 2);
    }
    double[] a = nonlinear(v, dt);
    double[] tmp = new double[n];
    for (int q = 0; q < n; q++) {
      tmp[q] = e[q / 2] * (v[q] + a[q] / 2);
    }
    double[] b = nonlinear(tmp, dt);
    for (int q = 0; q < n; q++) {
      tmp[q] = e[q / 2] * v[q] + b[q] / 2;
    }
    double[] c = nonlinear(tmp, dt);
    for (int q = 0; q < n; q++) {
      tmp[q] = e[q / 2] * e[q / 2] * v[q] + e[q / 2] * c[q];
    }
    double[] d = nonlinear(tmp, dt);
    for (int q = 0; q < n; q++) {
      double e1 = e[q / 2];
      double e2 = e1 * e1;
      v[q] = e2 * v[q] + (e2 * a[q] + 2 * e1 * (b[q] + c[q]) + d[q]) / 6;
    }
  }

  /** dt · (−(ik/2) FFT(u²)), dealiased. */
  private double[] nonlinear(double[] spectrum, double dt) {
    double[] physical = toPhysical(spectrum);
    for (int m = 0; m < fine; m++) {
      double value = physical[2 * m];
      physical[2 * m] = value * value;
      physical[2 * m + 1] = 0;
    }
    fft.complexForward(physical);
    for (int m = 0; m < fine; m++) {
      double re = physical[2 * m];
      double im = physical[2 * m + 1];
      double k = keep[m] ? wavenumber[m] : 0;
      // −(ik/2)(re + i im) = (k/2) im − i (k/2) re; the forward FFT carries a factor n
      physical[2 * m] = dt * 0.5 * k * im / fine;
      physical[2 * m + 1] = -dt * 0.5 * k * re / fine;
    }
    return physical;
  }

  private double[] toPhysical(double[] spectrum) {
    double[] physical = new double[2 * fine];
    for (int m = 0; m < fine; m++) {
      if (keep[m]) {
        physical[2 * m] = spectrum[2 * m];
        physical[2 * m + 1] = spectrum[2 * m + 1];
      }
    }
    fft.complexInverse(physical, false);
    return physical;
  }

  private void store(Field u, int level, double[] spectrum) {
    double[] physical = new double[2 * fine];
    System.arraycopy(spectrum, 0, physical, 0, physical.length);
    fft.complexInverse(physical, false);
    int stride = fine / points;
    for (int j = 0; j < points; j++) {
      u.set(level, j, physical[2 * j * stride]);
    }
  }
}
