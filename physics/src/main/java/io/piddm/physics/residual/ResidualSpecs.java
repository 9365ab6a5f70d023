package io.piddm.physics.residual;

import static io.piddm.physics.residual.Expr.channel;
import static io.piddm.physics.residual.Expr.constant;

import io.piddm.physics.pde.Pde;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The residual specs the platform knows, two or more per PDE: the consistent one (the solver's own
 * discretisation) and a published-compatible one (central differences scaled by h, two edge pixels
 * cropped, as FunDPS computes them).
 */
public final class ResidualSpecs {

  private static final Expr A = channel(0);
  private static final Expr U = channel(1);

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
              Map.of("f", 1.0),
              h -> Stencils.fluxDivergence(A, U, h, average).times(-1).minus(constant(1)),
              constant(1)));
    }
    register(
        new ResidualSpec(
            "darcy/published-central-flux",
            Pde.DARCY,
            ResidualFamily.PUBLISHED_COMPATIBLE,
            "central-2h-flux",
            true,
            2,
            Map.of("f", 1.0),
            h -> Stencils.centralFluxDivergence(A, U, h).times(-1).minus(constant(1)),
            constant(1)));
    register(
        new ResidualSpec(
            "poisson/consistent-laplace5",
            Pde.POISSON,
            ResidualFamily.CONSISTENT,
            "laplace5",
            true,
            1,
            Map.of(),
            h -> Stencils.laplace5(U, h).minus(A),
            A));
    register(
        new ResidualSpec(
            "poisson/published-central",
            Pde.POISSON,
            ResidualFamily.PUBLISHED_COMPATIBLE,
            "central-2h-twice",
            true,
            2,
            Map.of(),
            h -> Stencils.centralLaplace(U, h).minus(A),
            A));
    double k2 = HELMHOLTZ_K * HELMHOLTZ_K;
    register(
        new ResidualSpec(
            "helmholtz/consistent-laplace5",
            Pde.HELMHOLTZ,
            ResidualFamily.CONSISTENT,
            "laplace5",
            true,
            1,
            Map.of("k", HELMHOLTZ_K),
            h -> Stencils.laplace5(U, h).plus(U.times(k2)).minus(A),
            A));
    register(
        new ResidualSpec(
            "helmholtz/published-central",
            Pde.HELMHOLTZ,
            ResidualFamily.PUBLISHED_COMPATIBLE,
            "central-2h-twice",
            true,
            2,
            Map.of("k", HELMHOLTZ_K),
            h -> Stencils.centralLaplace(U, h).plus(U.times(k2)).minus(A),
            A));
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

  public static List<ResidualSpec> all() {
    return List.copyOf(BY_ID.values());
  }

  /** The solver's own discretisation for {@code pde} (harmonic faces for Darcy). */
  public static ResidualSpec consistent(Pde pde) {
    return switch (pde) {
      case DARCY -> byId("darcy/consistent-fv5-harmonic");
      case POISSON -> byId("poisson/consistent-laplace5");
      case HELMHOLTZ -> byId("helmholtz/consistent-laplace5");
      case BURGERS ->
          throw new UnsupportedOperationException("burgers residual specs are not defined yet");
    };
  }

  public static ResidualSpec publishedCompatible(Pde pde) {
    return switch (pde) {
      case DARCY -> byId("darcy/published-central-flux");
      case POISSON -> byId("poisson/published-central");
      case HELMHOLTZ -> byId("helmholtz/published-central");
      case BURGERS ->
          throw new UnsupportedOperationException("burgers residual specs are not defined yet");
    };
  }
}
