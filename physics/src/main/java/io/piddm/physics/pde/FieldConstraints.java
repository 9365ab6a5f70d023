package io.piddm.physics.pde;

import io.piddm.physics.grid.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What every field of a PDE satisfies besides its interior equation, stated once per PDE: values a
 * channel takes on the boundary ∂Ω and the range a channel lives in. Generated fields satisfy them
 * exactly — the teacher's denoiser and the student apply them to their output ({@code
 * diffusion/.../net/OutputConstraint}), so training, PIDDM-ref, reconstruction and evaluation all
 * see fields that solve the boundary value problem, not only its interior equation.
 *
 * <ul>
 *   <li>Darcy: u = 0 on ∂Ω (the BC); a ∈ [3, 12], the range of the data, so the harmonic face
 *       average 2ab/(a + b) and the solver never see a + b → 0 or a negative permeability.
 *   <li>Poisson: u = 0 on ∂Ω.
 *   <li>Helmholtz: u = 0 on ∂Ω; the source a is 0 on ∂Ω in the data, so the model keeps it there.
 *   <li>Burgers: periodic in x, which the grid itself encodes (columns x_j = j/S wrap around); no
 *       value is fixed.
 * </ul>
 *
 * @param boundaryValue per channel, the value on ∂Ω, or NaN where the boundary is free
 * @param lower per channel, the smallest value (−∞ where unbounded)
 * @param upper per channel, the largest value (+∞ where unbounded)
 */
public record FieldConstraints(Pde pde, double[] boundaryValue, double[] lower, double[] upper) {

  private static final double FREE = Double.NaN;
  private static final double INF = Double.POSITIVE_INFINITY;

  public FieldConstraints {
    int c = pde.channels().size();
    if (boundaryValue.length != c || lower.length != c || upper.length != c) {
      throw new IllegalArgumentException("field constraints: one entry per channel of " + pde.id());
    }
    boundaryValue = boundaryValue.clone();
    lower = lower.clone();
    upper = upper.clone();
  }

  /** The constraints of {@code pde}'s fields. */
  public static FieldConstraints of(Pde pde) {
    return switch (pde) {
      case DARCY ->
          new FieldConstraints(
              pde,
              new double[] {FREE, 0},
              new double[] {EllipticGenerator.DARCY_LOW, -INF},
              new double[] {EllipticGenerator.DARCY_HIGH, INF});
      case POISSON ->
          new FieldConstraints(
              pde, new double[] {FREE, 0}, new double[] {-INF, -INF}, new double[] {INF, INF});
      case HELMHOLTZ ->
          new FieldConstraints(
              pde, new double[] {0, 0}, new double[] {-INF, -INF}, new double[] {INF, INF});
      case BURGERS ->
          new FieldConstraints(pde, new double[] {FREE}, new double[] {-INF}, new double[] {INF});
    };
  }

  public int channels() {
    return boundaryValue.length;
  }

  /** Whether channel {@code c} has a fixed value on ∂Ω. */
  public boolean fixesBoundary(int c) {
    return !Double.isNaN(boundaryValue[c]);
  }

  /** Whether channel {@code c} is clamped to a finite range on either side. */
  public boolean bounds(int c) {
    return lower[c] > -INF || upper[c] < INF;
  }

  /** Whether node (i, j) of an S×S grid lies on ∂Ω. */
  public static boolean onBoundary(int i, int j, int size) {
    return i == 0 || j == 0 || i == size - 1 || j == size - 1;
  }

  /**
   * The field with every constraint applied: each channel clamped to its range, then its boundary
   * nodes set to their value. A field that already satisfies them comes back unchanged.
   */
  public List<Field> project(List<Field> channels) {
    if (channels.size() != channels()) {
      throw new IllegalArgumentException(
          "channels: " + pde.id() + " has " + channels() + ", got " + channels.size());
    }
    List<Field> out = new ArrayList<>();
    for (int c = 0; c < channels(); c++) {
      Field f = channels.get(c).copy();
      double[] v = f.values();
      for (int k = 0; k < v.length; k++) {
        v[k] = Math.min(upper[c], Math.max(lower[c], v[k]));
      }
      if (fixesBoundary(c)) {
        for (int i = 0; i < f.rows(); i++) {
          for (int j = 0; j < f.cols(); j++) {
            if (onBoundary(i, j, f.rows())) {
              f.set(i, j, boundaryValue[c]);
            }
          }
        }
      }
      out.add(f);
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FieldConstraints f
        && f.pde == pde
        && Arrays.equals(f.boundaryValue, boundaryValue)
        && Arrays.equals(f.lower, lower)
        && Arrays.equals(f.upper, upper);
  }

  @Override
  public int hashCode() {
    return pde.hashCode() * 31 + Arrays.hashCode(boundaryValue);
  }

  @Override
  public String toString() {
    return "FieldConstraints[" + pde.id() + "]";
  }
}
