package io.piddm.physics;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.metrics.PdeError;
import io.piddm.physics.metrics.SampleMetrics;
import io.piddm.physics.pde.EllipticGenerator;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.random.GaussianRandomField;
import io.piddm.physics.residual.ResidualSpecs;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bad input raises an IllegalArgumentException whose message names the parameter. */
class BadInputTest {

  @Test
  void gridsSmallerThanEightOrNegativeAreRefused() {
    assertThatThrownBy(() -> new Grid(7))
        .hasMessageContaining("resolution")
        .hasMessageContaining("8");
    assertThatThrownBy(() -> new Grid(-64)).hasMessageContaining("resolution");
  }

  @Test
  void unknownPdesAreNamed() {
    assertThatThrownBy(() -> Pde.parse("navier-stokes"))
        .hasMessageContaining("pde")
        .hasMessageContaining("navier-stokes")
        .hasMessageContaining("darcy");
    assertThatThrownBy(() -> ResidualSpecs.byId("darcy/nope")).hasMessageContaining("darcy/nope");
  }

  @Test
  void randomFieldParametersMustBePositive() {
    Grid grid = new Grid(16);
    assertThatThrownBy(() -> new GaussianRandomField(grid, -1, 3, 1)).hasMessageContaining("alpha");
    assertThatThrownBy(() -> new GaussianRandomField(grid, 2, Double.NaN, 1))
        .hasMessageContaining("tau");
  }

  @Test
  void metricsRefuseNanAndMismatchedShapes() {
    Grid grid = new Grid(16);
    Field a = grid.zeros();
    Field u = grid.zeros();
    u.set(3, 4, Double.NaN);
    assertThatThrownBy(
            () -> PdeError.of(ResidualSpecs.consistent(Pde.POISSON), grid, List.of(a, u)))
        .hasMessageContaining("channel u")
        .hasMessageContaining("finite");
    assertThatThrownBy(
            () ->
                PdeError.of(
                    ResidualSpecs.consistent(Pde.POISSON), grid, List.of(a, Field.zeros(16, 15))))
        .hasMessageContaining("channel u");
    assertThatThrownBy(() -> SampleMetrics.relativeL2(Field.zeros(4, 4), Field.zeros(4, 5)))
        .hasMessageContaining("estimate");
    assertThatThrownBy(() -> SampleMetrics.mmse(List.of(), List.of(a)))
        .hasMessageContaining("generated");
    assertThatThrownBy(() -> new Field(-1, 4, new double[0])).hasMessageContaining("rows");
  }

  @Test
  void generatorsCheckTheirInputs() {
    assertThatThrownBy(() -> EllipticGenerator.standard(Pde.BURGERS, new Grid(16)))
        .hasMessageContaining("pde");
    EllipticGenerator darcy = EllipticGenerator.standard(Pde.DARCY, new Grid(16));
    assertThatThrownBy(() -> darcy.solve(Field.zeros(8, 8))).hasMessageContaining("a is 8×8");
  }
}
