package io.piddm.diffusion.net;

/**
 * EDM preconditioning factors (Karras et al. 2022) with σ_data = 0.5, as plain numbers:
 *
 * <pre>
 *   c_skip = σ_d² / (σ² + σ_d²),  c_out = σ σ_d / √(σ² + σ_d²),  c_in = 1 / √(σ² + σ_d²),
 *   c_noise = ln(σ) / 4.
 * </pre>
 */
public final class Preconditioning {

  public static final double SIGMA_DATA = 0.5;

  private Preconditioning() {}

  public static double cSkip(double sigma) {
    return SIGMA_DATA * SIGMA_DATA / (sigma * sigma + SIGMA_DATA * SIGMA_DATA);
  }

  public static double cOut(double sigma) {
    return sigma * SIGMA_DATA / Math.sqrt(sigma * sigma + SIGMA_DATA * SIGMA_DATA);
  }

  public static double cIn(double sigma) {
    return 1 / Math.sqrt(sigma * sigma + SIGMA_DATA * SIGMA_DATA);
  }

  public static double cNoise(double sigma) {
    return Math.log(sigma) / 4;
  }
}
