package io.piddm.physics.solve;

import io.piddm.physics.grid.Grid;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * The five-point −Δ_h on the n × n interior nodes of an S×S grid with u = 0 on ∂Ω (n = S − 2, h =
 * 1/(S − 1)), in its eigenbasis: −Δ_h = Q Λ Q with Q the orthonormal DST-I matrix Q_jk = √(2/(n+1))
 * · sin(π j k / (n+1)) (symmetric, Q·Q = I) and Λ_kl = (4/h²)(sin²(πk/2(n+1)) + sin²(πl/2(n+1))).
 *
 * <p>Its inverse turns a residual into an error: for Poisson, R = Δ_h u − a gives (−Δ_h)⁻¹R = −(u −
 * u*) with u* the solver's solution for the same a, exactly; for Darcy and Helmholtz, whose
 * operators are spectrally close to a multiple of −Δ_h, approximately. A pointwise residual weighs
 * an error mode by its eigenvalue, so the smoothest modes — where the generated fields' solution
 * error lies — count least; the inverse weighs them by one. The distillation's solution term
 * (diffusion/distill) applies the same matrices as tensors, so the two cannot drift apart.
 */
public final class DirichletLaplacian {

  private final int n;
  private final double spacing;
  private final DMatrixRMaj sineBasis;
  private final DMatrixRMaj inverseEigenvalues;

  private DirichletLaplacian(int n, double spacing) {
    this.n = n;
    this.spacing = spacing;
    this.sineBasis = new DMatrixRMaj(n, n);
    this.inverseEigenvalues = new DMatrixRMaj(n, n);
    double norm = Math.sqrt(2.0 / (n + 1));
    double[] eigen1d = new double[n];
    for (int k = 1; k <= n; k++) {
      double s = Math.sin(Math.PI * k / (2.0 * (n + 1)));
      eigen1d[k - 1] = 4 * s * s / (spacing * spacing);
      for (int j = 1; j <= n; j++) {
        sineBasis.set(j - 1, k - 1, norm * Math.sin(Math.PI * j * k / (n + 1)));
      }
    }
    for (int k = 0; k < n; k++) {
      for (int l = 0; l < n; l++) {
        inverseEigenvalues.set(k, l, 1 / (eigen1d[k] + eigen1d[l]));
      }
    }
  }

  /** The operator on the interior nodes of {@code grid}, the nodes a consistent residual covers. */
  public static DirichletLaplacian interiorOf(Grid grid) {
    return new DirichletLaplacian(grid.size() - 2, grid.spacing());
  }

  /** n: interior nodes per side. */
  public int interiorSize() {
    return n;
  }

  public double spacing() {
    return spacing;
  }

  /** Q, row-major n × n (symmetric and orthogonal, so it is also its own inverse). */
  public double[] sineBasis() {
    return sineBasis.getData().clone();
  }

  /** 1/Λ_kl, row-major n × n. */
  public double[] inverseEigenvalues() {
    return inverseEigenvalues.getData().clone();
  }

  /** (−Δ_h)⁻¹ r for one interior field r, row-major n × n. */
  public double[] solve(double[] rhs) {
    if (rhs.length != n * n) {
      throw new IllegalArgumentException(
          "right-hand side: expected " + n + " × " + n + " interior values, got " + rhs.length);
    }
    DMatrixRMaj r = DMatrixRMaj.wrap(n, n, rhs.clone());
    DMatrixRMaj left = new DMatrixRMaj(n, n);
    DMatrixRMaj spectral = new DMatrixRMaj(n, n);
    CommonOps_DDRM.mult(sineBasis, r, left);
    CommonOps_DDRM.mult(left, sineBasis, spectral);
    CommonOps_DDRM.elementMult(spectral, inverseEigenvalues);
    CommonOps_DDRM.mult(sineBasis, spectral, left);
    CommonOps_DDRM.mult(left, sineBasis, r);
    return r.getData();
  }
}
