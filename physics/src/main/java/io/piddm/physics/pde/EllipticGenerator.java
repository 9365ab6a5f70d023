package io.piddm.physics.pde;

import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.random.GaussianRandomField;
import io.piddm.physics.random.Seeds;
import io.piddm.physics.residual.FaceAverage;
import io.piddm.physics.residual.ResidualSpecs;
import io.piddm.physics.solve.FivePointSolver;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Draws a coefficient or source from a Gaussian random field and solves for u with the 5-point
 * solver, for Darcy, Poisson and Helmholtz. Sample k of a seed is the same whatever thread makes
 * it. Not thread-safe: give each worker its own instance.
 *
 * <ul>
 *   <li>Darcy: a = 12 where the GRF ≥ 0, else 3; −∇·(a∇u) = 1 with {@link FaceAverage} faces.
 *   <li>Poisson: a = GRF; Δu = a.
 *   <li>Helmholtz: a = GRF set to 0 on the boundary; Δu + k²u = a with k = 1.
 * </ul>
 *
 * All with u = 0 on the boundary.
 */
public final class EllipticGenerator implements SampleGenerator {

  public static final double DARCY_HIGH = 12;
  public static final double DARCY_LOW = 3;

  /** Threshold between the binary Darcy coefficient's values 3 and 12. */
  public static final double DARCY_THRESHOLD = 7.5;

  private final Pde pde;
  private final Grid grid;
  private final GaussianRandomField field;
  private final FaceAverage faceAverage;
  private final FivePointSolver solver;

  public EllipticGenerator(Pde pde, Grid grid, GaussianRandomField field, FaceAverage faceAverage) {
    if (pde == Pde.BURGERS) {
      throw new IllegalArgumentException("pde: burgers is not elliptic; use its own generator");
    }
    this.pde = pde;
    this.grid = grid;
    this.field = field;
    this.faceAverage = faceAverage;
    this.solver = new FivePointSolver(grid);
  }

  /** The benchmark setup: GRF α = 2, τ = 3, harmonic faces. */
  public static EllipticGenerator standard(Pde pde, Grid grid) {
    return new EllipticGenerator(
        pde, grid, GaussianRandomField.standard(grid), FaceAverage.HARMONIC);
  }

  public Pde pde() {
    return pde;
  }

  public Grid grid() {
    return grid;
  }

  @Override
  public Map<String, Object> description() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("grf_alpha", field.alpha());
    d.put("grf_tau", field.tau());
    d.put("grf_sigma", field.sigma());
    d.put(
        "solver",
        "5-point conservative finite differences, EJML sparse Cholesky, nested-dissection order");
    if (pde == Pde.DARCY) {
      d.put("face_average", faceAverage.name().toLowerCase(java.util.Locale.ROOT));
      d.put("a_high", DARCY_HIGH);
      d.put("a_low", DARCY_LOW);
    }
    if (pde == Pde.HELMHOLTZ) {
      d.put("k", ResidualSpecs.HELMHOLTZ_K);
    }
    return d;
  }

  @Override
  public JointField sample(long seed, long index) {
    Field g = field.sample(Seeds.stream(seed, pde.ordinal(), index));
    return solve(coefficient(g));
  }

  /** The solution for a given coefficient (Darcy) or source (Poisson, Helmholtz). */
  public JointField solve(Field a) {
    grid.requireOn("a", a);
    int s = grid.size();
    Field east = grid.zeros();
    Field north = grid.zeros();
    Field reaction = null;
    Field source = grid.zeros();
    for (int i = 0; i < s; i++) {
      for (int j = 0; j < s; j++) {
        if (pde == Pde.DARCY) {
          if (j + 1 < s) {
            east.set(i, j, faceAverage.apply(a.get(i, j), a.get(i, j + 1)));
          }
          if (i + 1 < s) {
            north.set(i, j, faceAverage.apply(a.get(i, j), a.get(i + 1, j)));
          }
          source.set(i, j, 1);
        } else {
          east.set(i, j, 1);
          north.set(i, j, 1);
          source.set(i, j, -a.get(i, j));
        }
      }
    }
    if (pde == Pde.HELMHOLTZ) {
      double k2 = ResidualSpecs.HELMHOLTZ_K * ResidualSpecs.HELMHOLTZ_K;
      reaction = grid.zeros();
      java.util.Arrays.fill(reaction.values(), -k2);
    }
    Field u = solver.solve(east, north, reaction, source);
    return new JointField(pde, List.of(a, u));
  }

  private Field coefficient(Field g) {
    Field a = g.copy();
    double[] v = a.values();
    int s = grid.size();
    for (int k = 0; k < v.length; k++) {
      switch (pde) {
        case DARCY -> v[k] = v[k] >= 0 ? DARCY_HIGH : DARCY_LOW;
        case HELMHOLTZ -> {
          int i = k / s;
          int j = k % s;
          if (i == 0 || j == 0 || i == s - 1 || j == s - 1) {
            v[k] = 0;
          }
        }
        default -> {}
      }
    }
    return a;
  }
}
