package io.piddm.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.EllipticGenerator;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ArrayEvaluator;
import io.piddm.physics.residual.ResidualSpecs;
import io.piddm.physics.solve.DirichletLaplacian;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The inverse Laplacian in its sine basis, checked against the project's other definitions: the
 * solver's Poisson data and the consistent residual's stencil.
 */
class DirichletLaplacianTest {

  private static final Grid GRID = new Grid(20);
  private final DirichletLaplacian laplacian = DirichletLaplacian.interiorOf(GRID);

  private static double[] interior(Field field) {
    int n = field.rows() - 2;
    double[] out = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        out[i * n + j] = field.get(i + 1, j + 1);
      }
    }
    return out;
  }

  @Test
  void theSineBasisIsItsOwnInverse() {
    int n = laplacian.interiorSize();
    double[] q = laplacian.sineBasis();
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double dot = 0;
        for (int k = 0; k < n; k++) {
          dot += q[i * n + k] * q[k * n + j];
        }
        assertThat(dot).isCloseTo(i == j ? 1 : 0, within(1e-12));
      }
    }
  }

  @Test
  void invertingThePoissonSourceGivesTheSolversSolution() {
    List<Field> sample = EllipticGenerator.standard(Pde.POISSON, GRID).sample(3, 0).channels();
    double[] source = interior(sample.get(0));
    double[] minusSource = new double[source.length];
    for (int p = 0; p < source.length; p++) {
      minusSource[p] = -source[p];
    }
    // the consistent residual is Δ_h u − a, so the solution is (−Δ_h)⁻¹(−a)
    assertThat(laplacian.solve(minusSource))
        .containsExactly(interior(sample.get(1)), within(1e-10 * maxAbs(interior(sample.get(1)))));
  }

  @Test
  void invertingTheResidualOfAPerturbedFieldRecoversThePerturbation() {
    List<Field> sample = EllipticGenerator.standard(Pde.POISSON, GRID).sample(3, 1).channels();
    Field u = sample.get(1).copy();
    Random random = new Random(11);
    int n = laplacian.interiorSize();
    double[] perturbation = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        perturbation[i * n + j] = random.nextGaussian();
        u.set(i + 1, j + 1, u.get(i + 1, j + 1) + perturbation[i * n + j]);
      }
    }
    double[] residual =
        ArrayEvaluator.residual(
                ResidualSpecs.consistent(Pde.POISSON), GRID, List.of(sample.get(0), u))
            .values();
    double[] error = laplacian.solve(residual);
    for (int p = 0; p < error.length; p++) {
      assertThat(error[p]).isCloseTo(-perturbation[p], within(1e-9));
    }
  }

  @Test
  void aFieldOfTheWrongSizeIsRefused() {
    assertThatThrownBy(() -> laplacian.solve(new double[7]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("18 × 18");
  }

  private static double maxAbs(double[] values) {
    double max = 0;
    for (double v : values) {
      max = Math.max(max, Math.abs(v));
    }
    return max;
  }
}
