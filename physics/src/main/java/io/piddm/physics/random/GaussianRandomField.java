package io.piddm.physics.random;

import io.piddm.physics.grid.Check;
import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * Gaussian random fields on an S×S node grid with covariance σ²(−Δ+τ²)^(−α) under Neumann
 * conditions, through their cosine (Karhunen–Loève) expansion:
 *
 * <pre>
 *   g(x, y) = σ Σ_{(k,l) ≠ (0,0)} ξ_kl (π²(k²+l²) + τ²)^(−α/2) ψ_k(x) ψ_l(y),
 *   ψ_0 = 1,  ψ_k(x) = √2 cos(kπx),  ξ_kl ~ N(0, 1),  0 ≤ k, l ≤ S−1.
 * </pre>
 *
 * The constant mode is dropped (zero mean), as in the FNO/DiffusionPDE generators. Evaluated on the
 * nodes x_j = j/(S−1) by two dense products with a cosine table computed with StrictMath, so a seed
 * gives the same bits on every machine. Defaults α = 2, τ = 3, σ = τ^(α−1).
 */
public final class GaussianRandomField {

  private final Grid grid;
  private final double alpha;
  private final double tau;
  private final double sigma;
  private final DMatrixRMaj basis;
  private final DMatrixRMaj basisTransposed;
  private final double[] amplitude;

  public GaussianRandomField(Grid grid, double alpha, double tau, double sigma) {
    this.grid = grid;
    this.alpha = Check.finitePositive("alpha", alpha);
    this.tau = Check.finitePositive("tau", tau);
    this.sigma = Check.finitePositive("sigma", sigma);
    int s = grid.size();
    basis = new DMatrixRMaj(s, s);
    for (int i = 0; i < s; i++) {
      for (int k = 0; k < s; k++) {
        basis.set(i, k, basisFunction(k, grid.coordinate(i)));
      }
    }
    basisTransposed = CommonOps_DDRM.transpose(basis, null);
    amplitude = new double[s * s];
    for (int k = 0; k < s; k++) {
      for (int l = 0; l < s; l++) {
        amplitude[k * s + l] =
            (k == 0 && l == 0) ? 0 : sigma * StrictMath.pow(eigenvalue(k, l), -alpha / 2);
      }
    }
  }

  /** The defaults of the Darcy, Poisson and Helmholtz benchmarks: α = 2, τ = 3, σ = τ^(α−1). */
  public static GaussianRandomField standard(Grid grid) {
    return new GaussianRandomField(grid, 2, 3, 3);
  }

  /** ψ_k(x): the L²-orthonormal Neumann cosine on [0, 1]. */
  public static double basisFunction(int k, double x) {
    double c = StrictMath.cos(k * Math.PI * x);
    return k == 0 ? c : Math.sqrt(2) * c;
  }

  /** π²(k²+l²) + τ²: the eigenvalue of −Δ+τ² for mode (k, l). */
  public double eigenvalue(int k, int l) {
    return Math.PI * Math.PI * (k * k + l * l) + tau * tau;
  }

  /** The standard deviation of mode (k, l)'s coefficient: σ(π²(k²+l²)+τ²)^(−α/2). */
  public double modeStd(int k, int l) {
    return amplitude[k * grid.size() + l];
  }

  public Grid grid() {
    return grid;
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

  /** One field drawn with {@code random}; consumes S² Gaussians in (k, l) order. */
  public Field sample(Random random) {
    int s = grid.size();
    DMatrixRMaj coefficients = new DMatrixRMaj(s, s);
    double[] c = coefficients.data;
    for (int m = 0; m < c.length; m++) {
      c[m] = random.nextGaussian() * amplitude[m];
    }
    DMatrixRMaj half = new DMatrixRMaj(s, s);
    CommonOps_DDRM.mult(basis, coefficients, half);
    DMatrixRMaj field = new DMatrixRMaj(s, s);
    CommonOps_DDRM.mult(half, basisTransposed, field);
    return new Field(s, s, field.data);
  }
}
