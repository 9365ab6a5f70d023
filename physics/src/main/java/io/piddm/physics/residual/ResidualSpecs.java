package io.piddm.physics.residual;

import static io.piddm.physics.residual.Expr.channel;
import static io.piddm.physics.residual.Expr.constant;

import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.BurgersGenerator;
import io.piddm.physics.pde.Pde;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleFunction;

/**
 * The residual specs the platform knows, two or more per PDE: the consistent one (the solver's own
 * discretisation) and a published-compatible one (central differences scaled by h, two edge pixels
 * cropped, as FunDPS computes them).
 */
public final class ResidualSpecs {

  private static final Expr A = channel(0);
  private static final Expr U = channel(1);

  /** Burgers' only channel. */
  private static final Expr W = channel(0);

  /** The Helmholtz wave number of the benchmark. */
  public static final double HELMHOLTZ_K = 1.0;

  private static final Map<String, ResidualSpec> BY_ID = new LinkedHashMap<>();

  static {
    for (FaceAverage average : FaceAverage.values()) {
      String name = average.name().toLowerCase(java.util.Locale.ROOT);
      register(
          new ResidualSpec(
              "darcy/consistent-fv5-" + name,
              Pde.DARCY,
              ResidualFamily.CONSISTENT,
              "fv5-" + name,
              true,
              1,
              false,
              Map.of("f", 1.0),
              g -> Stencils.fluxDivergence(A, U, g.spacing(), average).times(-1).minus(constant(1)),
              constant(1),
              g -> dirichletRow(U, A, g)));
    }
    register(
        new ResidualSpec(
            "darcy/published-central-flux",
            Pde.DARCY,
            ResidualFamily.PUBLISHED_COMPATIBLE,
            "central-2h-flux",
            true,
            2,
            false,
            Map.of("f", 1.0),
            g -> Stencils.centralFluxDivergence(A, U, g.spacing()).times(-1).minus(constant(1)),
            constant(1),
            null));
    register(
        new ResidualSpec(
            "poisson/consistent-laplace5",
            Pde.POISSON,
            ResidualFamily.CONSISTENT,
            "laplace5",
            true,
            1,
            false,
            Map.of(),
            g -> Stencils.laplace5(U, g.spacing()).minus(A),
            A,
            g -> dirichletRow(U, constant(1), g)));
    register(
        new ResidualSpec(
            "poisson/published-central",
            Pde.POISSON,
            ResidualFamily.PUBLISHED_COMPATIBLE,
            "central-2h-twice",
            true,
            2,
            false,
            Map.of(),
            g -> Stencils.centralLaplace(U, g.spacing()).minus(A),
            A,
            null));
    double k2 = HELMHOLTZ_K * HELMHOLTZ_K;
    register(
        new ResidualSpec(
            "helmholtz/consistent-laplace5",
            Pde.HELMHOLTZ,
            ResidualFamily.CONSISTENT,
            "laplace5",
            true,
            1,
            false,
            Map.of("k", HELMHOLTZ_K),
            g -> Stencils.laplace5(U, g.spacing()).plus(U.times(k2)).minus(A),
            A,
            g -> dirichletRow(U, constant(1), g)));
    register(
        new ResidualSpec(
            "helmholtz/published-central",
            Pde.HELMHOLTZ,
            ResidualFamily.PUBLISHED_COMPATIBLE,
            "central-2h-twice",
            true,
            2,
            false,
            Map.of("k", HELMHOLTZ_K),
            g -> Stencils.centralLaplace(U, g.spacing()).plus(U.times(k2)).minus(A),
            A,
            null));
    // Burgers: rows are time levels t_n = n/(S−1), columns periodic x_j = j/S; channel 0 is u.
    register(
        new ResidualSpec(
            "burgers/central",
            Pde.BURGERS,
            ResidualFamily.PUBLISHED_COMPATIBLE,
            "central-t-central-x-periodic",
            true,
            1,
            true,
            Map.of("nu", BurgersGenerator.NU),
            g -> burgers(g, dx -> W.times(Stencils.centralX(W, dx))),
            constant(1),
            null));
    register(
        new ResidualSpec(
            "burgers/conservative-central",
            Pde.BURGERS,
            ResidualFamily.PUBLISHED_COMPATIBLE,
            "central-t-conservative-flux-x-periodic",
            true,
            1,
            true,
            Map.of("nu", BurgersGenerator.NU),
            g -> burgers(g, dx -> Stencils.centralX(W.times(W).times(0.5), dx)),
            constant(1),
            null));
  }

  /**
   * The boundary row of u = 0 on ∂Ω: k·u_b / h², the amount by which a boundary value u_b ≠ 0
   * changes the neighbouring interior row of the solver's system (k the coefficient there: a for
   * Darcy, 1 for the Laplacian). An interior-only residual can vanish for fields whose boundary
   * values are off, while their u is far from the solution; these rows make such fields score.
   */
  private static Expr dirichletRow(Expr u, Expr coefficient, Grid grid) {
    double h = grid.spacing();
    return coefficient.times(u).times(1 / (h * h));
  }

  /**
   * u_t + advection − ν u_xx with central differences: dt = 1/(S−1) between rows, dx = 1/S between
   * periodic columns. Its source is 1, so the "relative" PDE error of Burgers is the RMS residual.
   */
  private static Expr burgers(Grid grid, DoubleFunction<Expr> advection) {
    double dt = grid.spacing();
    double dx = 1.0 / grid.size();
    return Stencils.centralY(W, dt)
        .plus(advection.apply(dx))
        .minus(Stencils.secondDifferenceX(W, dx).times(BurgersGenerator.NU));
  }

  private ResidualSpecs() {}

  private static void register(ResidualSpec spec) {
    BY_ID.put(spec.id(), spec);
  }

  public static ResidualSpec byId(String id) {
    ResidualSpec spec = BY_ID.get(id);
    if (spec == null) {
      throw new IllegalArgumentException(
          "residual spec: unknown id '" + id + "'; known: " + String.join(", ", BY_ID.keySet()));
    }
    return spec;
  }

  /**
   * The spec a model recorded: found by its id, and its recorded {@link ResidualSpec#definition}
   * (when there is one; numbers compared as numbers, so a JSON round trip matches) must equal this
   * build's, or the model was judged by a residual this build no longer defines.
   */
  public static ResidualSpec recorded(String id, Map<String, ?> definition) {
    ResidualSpec spec = byId(id);
    if (definition != null && !normalised(definition).equals(normalised(spec.definition()))) {
      throw new IllegalArgumentException(
          "residual spec "
              + id
              + ": the model records "
              + definition
              + " but this build defines "
              + spec.definition());
    }
    return spec;
  }

  private static Object normalised(Object value) {
    if (value instanceof Number n) {
      return n.doubleValue();
    }
    if (value instanceof Map<?, ?> m) {
      Map<String, Object> out = new java.util.TreeMap<>();
      m.forEach((k, v) -> out.put(String.valueOf(k), normalised(v)));
      return out;
    }
    return value;
  }

  public static List<ResidualSpec> all() {
    return List.copyOf(BY_ID.values());
  }

  /** Every spec of {@code pde}, consistent first where one exists. */
  public static List<ResidualSpec> forPde(Pde pde) {
    return BY_ID.values().stream().filter(s -> s.pde() == pde).toList();
  }

  /**
   * The solver's own discretisation for {@code pde} (harmonic faces for Darcy). Burgers has none:
   * its data sample a finer spectral solve, so no stencil on the stored grid is the solver's own;
   * its specs converge with the grid instead.
   */
  public static ResidualSpec consistent(Pde pde) {
    if (!hasConsistent(pde)) {
      throw new UnsupportedOperationException(
          pde.id()
              + " has no consistent residual spec: its data sample a finer spectral solve;"
              + " use "
              + training(pde).id());
    }
    return switch (pde) {
      case DARCY -> byId("darcy/consistent-fv5-harmonic");
      case POISSON -> byId("poisson/consistent-laplace5");
      case HELMHOLTZ -> byId("helmholtz/consistent-laplace5");
      case BURGERS -> throw new AssertionError("checked above");
    };
  }

  /** Whether {@code pde}'s data come from a solve on the stored grid with a stencil of its own. */
  public static boolean hasConsistent(Pde pde) {
    return pde != Pde.BURGERS;
  }

  /**
   * The spec a model is trained, guided and reconstructed with: the consistent one where the PDE
   * has it, else (Burgers) the conservative central form, which converges with the grid.
   */
  public static ResidualSpec training(Pde pde) {
    return hasConsistent(pde) ? consistent(pde) : byId("burgers/conservative-central");
  }

  public static ResidualSpec publishedCompatible(Pde pde) {
    return switch (pde) {
      case DARCY -> byId("darcy/published-central-flux");
      case POISSON -> byId("poisson/published-central");
      case HELMHOLTZ -> byId("helmholtz/published-central");
      case BURGERS -> byId("burgers/central");
    };
  }
}
