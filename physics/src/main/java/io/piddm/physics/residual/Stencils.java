package io.piddm.physics.residual;

/** The finite-difference building blocks the residual specs are written with. */
public final class Stencils {

  private Stencils() {}

  /** (e_E + e_W + e_N + e_S − 4e) / h²: the solver's 5-point Laplacian. */
  public static Expr laplace5(Expr e, double h) {
    return e.shift(0, 1)
        .plus(e.shift(0, -1))
        .plus(e.shift(1, 0))
        .plus(e.shift(-1, 0))
        .minus(e.times(4))
        .times(1 / (h * h));
  }

  /** (e_E − e_W) / 2h. */
  public static Expr centralX(Expr e, double h) {
    return e.shift(0, 1).minus(e.shift(0, -1)).times(1 / (2 * h));
  }

  /** (e_E − 2e + e_W) / h². */
  public static Expr secondDifferenceX(Expr e, double h) {
    return e.shift(0, 1).minus(e.times(2)).plus(e.shift(0, -1)).times(1 / (h * h));
  }

  /** (e_N − e_S) / 2h. */
  public static Expr centralY(Expr e, double h) {
    return e.shift(1, 0).minus(e.shift(-1, 0)).times(1 / (2 * h));
  }

  /**
   * ∇·(a∇u) in conservative finite-volume form with face coefficients from {@code average}: the
   * Darcy solver's own operator.
   */
  public static Expr fluxDivergence(Expr a, Expr u, double h, FaceAverage average) {
    Expr east = average.apply(a, a.shift(0, 1));
    Expr west = average.apply(a.shift(0, -1), a);
    Expr north = average.apply(a, a.shift(1, 0));
    Expr south = average.apply(a.shift(-1, 0), a);
    return east.times(u.shift(0, 1).minus(u))
        .minus(west.times(u.minus(u.shift(0, -1))))
        .plus(north.times(u.shift(1, 0).minus(u)))
        .minus(south.times(u.minus(u.shift(-1, 0))))
        .times(1 / (h * h));
  }

  /** ∇·(a∇u) as central differences of the central-difference flux (reach 2). */
  public static Expr centralFluxDivergence(Expr a, Expr u, double h) {
    Expr fluxX = a.times(centralX(u, h));
    Expr fluxY = a.times(centralY(u, h));
    return centralX(fluxX, h).plus(centralY(fluxY, h));
  }

  /** Δu as central differences applied twice (reach 2): (u_{j+2} − 2u + u_{j−2}) / 4h² per axis. */
  public static Expr centralLaplace(Expr u, double h) {
    return centralX(centralX(u, h), h).plus(centralY(centralY(u, h), h));
  }
}
