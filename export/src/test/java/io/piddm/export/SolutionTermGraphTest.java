package io.piddm.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.piddm.diffusion.net.UNetSpec;
import io.piddm.inference.OnnxSessions;
import io.piddm.inference.Reconstruction;
import io.piddm.inference.StudentModel;
import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.EllipticGenerator;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpec;
import io.piddm.physics.residual.ResidualSpecs;
import io.piddm.physics.residual.SourceScales;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reconstruction graph's solution term judged against the project's solver: for Poisson it is
 * the squared distance of the generated u to the solution of Δu = a with u = 0 on ∂Ω, which is what
 * PIDDM-ref then minimises; graphs of PDEs without a Dirichlet boundary have no such input.
 */
class SolutionTermGraphTest {

  private static final int SIZE = 16;

  @TempDir Path dir;

  @Test
  void forPoissonTheTermIsTheScaledSquaredDistanceToTheSolversSolution() throws Exception {
    Grid grid = new Grid(SIZE);
    OnnxExporter.export(poisson(5), dir);
    try (StudentModel model = StudentModel.open(dir, OnnxSessions.Provider.CPU, 1)) {
      assertThat(model.hasSolutionTerm()).isTrue();
      int batch = 2;
      int d = model.dim();
      float[] eps = model.noise(3, batch);
      float[] zeros = new float[batch * d];
      float[] loss = model.reconstructStep(eps, zeros, zeros, 0, 0, 1, batch).loss();
      float[] fields = model.decode(eps, batch);
      double scale =
          1 / SourceScales.solutionRms(Pde.POISSON, grid, ResidualSpecs.consistent(Pde.POISSON));
      EllipticGenerator solver = EllipticGenerator.standard(Pde.POISSON, grid);
      int plane = SIZE * SIZE;
      for (int n = 0; n < batch; n++) {
        Field a = field(fields, (2 * n) * plane);
        Field u = field(fields, (2 * n + 1) * plane);
        Field solved = solver.solve(a).channels().get(1);
        double sum = 0;
        for (int i = 1; i < SIZE - 1; i++) {
          for (int j = 1; j < SIZE - 1; j++) {
            double e = scale * (u.get(i, j) - solved.get(i, j));
            sum += e * e;
          }
        }
        double expected = sum / ((SIZE - 2) * (SIZE - 2));
        assertThat(expected).isGreaterThan(1e-3);
        assertThat((double) loss[n]).isCloseTo(expected, within(1e-3 * expected));
      }
    }
  }

  @Test
  void refinementWithTheTermBringsUCloserToTheSolversSolution() throws Exception {
    Grid grid = new Grid(SIZE);
    OnnxExporter.export(poisson(6), dir);
    try (StudentModel model = StudentModel.open(dir, OnnxSessions.Provider.CPU, 1)) {
      float[] zeros = new float[model.dim()];
      double before = distanceToSolver(model, model.noise(4, 1), grid);
      Reconstruction.Result r =
          Reconstruction.run(
              model,
              zeros,
              zeros,
              4,
              1,
              new Reconstruction.Settings(200, 0.1, 0, 0, 1, 0, 0),
              null,
              () -> false);
      double after = distanceToSolver(model, r.eps()[0], grid);
      assertThat(after).isLessThan(0.1 * before);
    }
  }

  @Test
  void burgersGraphsHaveNoSolutionInputAndRefuseAWeightForIt() throws Exception {
    OnnxExporter.export(
        Fixtures.export(UNetSpec.tiny(1), SIZE, 7, ResidualSpecs.byId("burgers/central")), dir);
    try (StudentModel model = StudentModel.open(dir, OnnxSessions.Provider.CPU, 1)) {
      assertThat(model.hasSolutionTerm()).isFalse();
      float[] zeros = new float[model.dim()];
      assertThat(model.reconstructStep(model.noise(1, 1), zeros, zeros, 0, 1, 0, 1).loss())
          .hasSize(1);
      assertThatThrownBy(() -> model.reconstructStep(model.noise(1, 1), zeros, zeros, 0, 1, 0.5, 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("lambda_solution");
    }
  }

  /** A Poisson student whose normalisation spans the data's a and u (so ε can reach them). */
  private static OnnxExporter.ExportSpec poisson(long seed) {
    Grid grid = new Grid(SIZE);
    ResidualSpec spec = ResidualSpecs.consistent(Pde.POISSON);
    UNetSpec net = UNetSpec.tiny(2);
    return new OnnxExporter.ExportSpec(
        "test",
        "0",
        net,
        Fixtures.weights(net, seed),
        new double[] {0, 0},
        new double[] {
          SourceScales.sourceRms(Pde.POISSON, grid, spec),
          SourceScales.solutionRms(Pde.POISSON, grid, spec)
        },
        spec,
        grid);
  }

  /** ‖u − solve(a)‖ / ‖solve(a)‖ of d(ε), through the solver, not the graph. */
  private static double distanceToSolver(StudentModel model, float[] eps, Grid grid)
      throws Exception {
    float[] x = model.decode(eps, 1);
    int plane = SIZE * SIZE;
    Field solved =
        EllipticGenerator.standard(Pde.POISSON, grid).solve(field(x, 0)).channels().get(1);
    Field u = field(x, plane);
    double diff = 0;
    double norm = 0;
    for (int k = 0; k < plane; k++) {
      double e = u.values()[k] - solved.values()[k];
      diff += e * e;
      norm += solved.values()[k] * solved.values()[k];
    }
    return Math.sqrt(diff / norm);
  }

  private static Field field(float[] values, int offset) {
    double[] v = new double[SIZE * SIZE];
    for (int k = 0; k < v.length; k++) {
      v[k] = values[offset + k];
    }
    return new Field(SIZE, SIZE, v);
  }
}
