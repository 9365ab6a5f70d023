package io.piddm.physics.pde;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** The PDE families and the channels of their joint fields. */
public enum Pde {
  /** −∇·(a∇u) = 1, u = 0 on the boundary, a ∈ {3, 12}. */
  DARCY(List.of("a", "u")),
  /** Δu = a, u = 0 on the boundary. */
  POISSON(List.of("a", "u")),
  /** Δu + k²u = a with k = 1, u = 0 on the boundary, a = 0 on the boundary. */
  HELMHOLTZ(List.of("a", "u")),
  /** u_t + u u_x = ν u_xx, ν = 0.01, periodic in x; one channel, rows are time levels. */
  BURGERS(List.of("u"));

  private final List<String> channels;

  Pde(List<String> channels) {
    this.channels = channels;
  }

  public List<String> channels() {
    return channels;
  }

  /**
   * Whether the solution channel is fixed on the boundary (u = 0): part of the problem statement,
   * so a forward solve knows those values without observing them.
   */
  public boolean solutionFixedOnBoundary() {
    return FieldConstraints.of(this).fixesBoundary(channels.size() - 1);
  }

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a PDE name case-insensitively; the error lists the known names. */
  public static Pde parse(String name) {
    for (Pde pde : values()) {
      if (pde.id().equalsIgnoreCase(name == null ? "" : name.trim())) {
        return pde;
      }
    }
    throw new IllegalArgumentException(
        "pde: unknown PDE '"
            + name
            + "'; known: "
            + Arrays.stream(values()).map(Pde::id).collect(Collectors.joining(", ")));
  }
}
