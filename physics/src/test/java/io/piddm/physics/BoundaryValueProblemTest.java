package io.piddm.physics;

import static org.assertj.core.api.Assertions.assertThat;

import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.metrics.PdeError;
import io.piddm.physics.metrics.SolutionConsistency;
import io.piddm.physics.pde.EllipticGenerator;
import io.piddm.physics.pde.FieldConstraints;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ArrayEvaluator;
import io.piddm.physics.residual.ResidualSpecs;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Fields judged as solutions of their boundary value problem: the solver's own fields meet every
 * constraint and score at solver precision; a field that solves the interior equation for other
 * boundary data is caught by the boundary rows of the PDE error and by solution consistency.
 */
class BoundaryValueProblemTest {

  private static final Grid GRID = new Grid(24);

  private static List<List<Field>> solverFields(Pde pde, int count) {
    EllipticGenerator generator = EllipticGenerator.standard(pde, GRID);
    List<List<Field>> out = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      out.add(generator.sample(5, k).channels());
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(
      value = Pde.class,
      names = {"DARCY", "POISSON", "HELMHOLTZ"})
  void solverFieldsMeetTheConstraintsAndSolveTheBoundaryValueProblem(Pde pde) {
    FieldConstraints constraints = FieldConstraints.of(pde);
    List<List<Field>> fields = solverFields(pde, 4);
    for (List<Field> field : fields) {
      assertThat(constraints.project(field)).isEqualTo(field);
      assertThat(PdeError.of(ResidualSpecs.consistent(pde), GRID, field).relative())
          .isLessThan(1e-9);
      assertThat(ArrayEvaluator.boundary(ResidualSpecs.consistent(pde), GRID, field))
          .hasSize(4 * (GRID.size() - 1))
          .containsOnly(0.0);
    }
    SolutionConsistency consistency = SolutionConsistency.of(pde, GRID, fields);
    assertThat(consistency.median()).isLessThan(1e-9);
    assertThat(consistency.failed()).isZero();
    if (pde == Pde.DARCY) {
      // the data's coefficient is already binary: thresholding changes nothing
      assertThat(consistency.thresholdedMedian()).isLessThan(1e-9);
    } else {
      assertThat(consistency.thresholdedMedian()).isNaN();
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = Pde.class,
      names = {"POISSON", "HELMHOLTZ"})
  void aFieldThatSolvesTheInteriorForOtherBoundaryDataIsCaught(Pde pde) {
    // For Poisson, u + c solves Δu = a in the interior exactly (Δc = 0) but has u = c on ∂Ω.
    // For Helmholtz it does not, but both are off their boundary condition by c.
    List<Field> truth = solverFields(pde, 1).get(0);
    Field shifted = truth.get(1).copy();
    double c = 0.2 * maxAbs(truth.get(1));
    for (int k = 0; k < shifted.values().length; k++) {
      shifted.values()[k] += c;
    }
    List<Field> field = List.of(truth.get(0), shifted);
    if (pde == Pde.POISSON) {
      Field interior = ArrayEvaluator.residual(ResidualSpecs.consistent(pde), GRID, field);
      assertThat(maxAbs(interior)).as("the interior equation still holds").isLessThan(1e-8);
    }
    assertThat(PdeError.of(ResidualSpecs.consistent(pde), GRID, field).relative())
        .isGreaterThan(0.1);
    assertThat(SolutionConsistency.of(pde, GRID, List.of(field)).median()).isGreaterThan(0.1);
    // the projection puts the boundary back, and nothing else
    List<Field> projected = FieldConstraints.of(pde).project(field);
    assertThat(projected.get(1).get(0, 5)).isZero();
    assertThat(projected.get(1).get(5, 5)).isEqualTo(shifted.get(5, 5));
  }

  @org.junit.jupiter.api.Test
  void darcyCoefficientsOutsideTheirRangeAreClampedAndAnInvalidOneFailsTheSolve() {
    List<Field> truth = solverFields(Pde.DARCY, 1).get(0);
    Field a = truth.get(0).copy();
    a.set(3, 3, -2);
    a.set(4, 4, 40);
    List<Field> projected = FieldConstraints.of(Pde.DARCY).project(List.of(a, truth.get(1)));
    assertThat(projected.get(0).get(3, 3)).isEqualTo(EllipticGenerator.DARCY_LOW);
    assertThat(projected.get(0).get(4, 4)).isEqualTo(EllipticGenerator.DARCY_HIGH);

    Field negative = a.copy();
    java.util.Arrays.fill(negative.values(), -1);
    SolutionConsistency refused =
        SolutionConsistency.of(Pde.DARCY, GRID, List.of(List.of(negative, truth.get(1))));
    assertThat(refused.failed()).isEqualTo(1);
    assertThat(refused.median()).isInfinite();
  }

  private static double maxAbs(Field f) {
    double m = 0;
    for (double v : f.values()) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }
}
