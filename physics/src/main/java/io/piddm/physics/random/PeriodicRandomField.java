package io.piddm.physics.random;

import io.piddm.physics.grid.Check;
import java.util.Random;

/**
 * 1-D Gaussian random fields on the periodic unit interval with covariance σ²(−Δ+τ²)^(−α), through
 * their Fourier expansion (zero mean):
 *
 * <pre>
 *   g(x) = σ Σ_{k=1}^{K} (4π²k² + τ²)^(−α/2) √2 (ξ_k cos 2πkx + η_k sin 2πkx)
 * </pre>
 *
 * The Burgers initial condition. Defaults α = 2.5, τ = 7, σ = τ² (the FNO Burgers setting), which
 * gives amplitudes of order one, so fronts steepen within t ∈ [0, 1] at ν = 0.01.
 */
public final class PeriodicRandomField {

  private final double alpha;
  private final double tau;
  private final double sigma;
  private final int modes;

  public PeriodicRandomField(double alpha, double tau, double sigma, int modes) {
    this.alpha = Check.finitePositive("alpha", alpha);
    this.tau = Check.finitePositive("tau", tau);
    this.sigma = Check.finitePositive("sigma", sigma);
    this.modes = Check.positive("modes", modes);
  }

  public static PeriodicRandomField standard(int modes) {
    return new PeriodicRandomField(2.5, 7, 49, modes);
  }

  public double modeStd(int k) {
    return sigma * StrictMath.pow(4 * Math.PI * Math.PI * k * k + tau * tau, -alpha / 2);
  }

  public double alpha() {
    return alpha;
  }

  public double tau() {
    return tau;
  }

  public double sigma() {
    return sigma;
  }

  /**
   * The field's complex Fourier coefficients c_k for an n-point grid (n > 2·modes), interleaved
   * (re, im), length 2n, negative wavenumbers at the end: an unnormalised inverse FFT of them
   * yields the nodal values g(j/n).
   */
  public double[] spectrum(Random random, int n) {
    if (n <= 2 * modes) {
      throw new IllegalArgumentException("n must exceed 2·modes = " + 2 * modes + ", got " + n);
    }
    double[] spectrum = new double[2 * n];
    for (int k = 1; k <= modes; k++) {
      double a = random.nextGaussian() * modeStd(k) * Math.sqrt(2);
      double b = random.nextGaussian() * modeStd(k) * Math.sqrt(2);
      // a cos + b sin = Re[(a − i b) e^{2πikx}] = ((a − ib) e^{ikx} + (a + ib) e^{−ikx}) / 2
      spectrum[2 * k] = 0.5 * a;
      spectrum[2 * k + 1] = -0.5 * b;
      spectrum[2 * (n - k)] = 0.5 * a;
      spectrum[2 * (n - k) + 1] = 0.5 * b;
    }
    return spectrum;
  }
}
