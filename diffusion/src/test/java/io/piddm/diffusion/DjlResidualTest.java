package io.piddm.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.djl.DjlResidual;
import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.JointField;
import io.piddm.physics.pde.SampleGenerator;
import io.piddm.physics.residual.ArrayEvaluator;
import io.piddm.physics.residual.ResidualSpec;
import io.piddm.physics.residual.ResidualSpecs;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The NDArray evaluator agrees with the float64 array evaluator on every residual spec. */
class DjlResidualTest {

  static java.util.List<ResidualSpec> specs() {
    return ResidualSpecs.all();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void matchesTheArrayEvaluator(ResidualSpec spec) {
    int size = 24;
    Grid grid = new Grid(size);
    // Perturbed solver output, so residuals are far from zero and every term matters.
    JointField sample = SampleGenerator.standard(spec.pde(), grid).sample(2, 0);
    java.util.List<Field> channels = new java.util.ArrayList<>();
    java.util.Random random = new java.util.Random(5);
    for (Field f : sample.channels()) {
      Field copy = f.copy();
      double scale = 1e-3 + java.util.Arrays.stream(f.values()).map(Math::abs).max().orElse(1);
      for (int k = 0; k < copy.values().length; k++) {
        copy.values()[k] += 0.01 * scale * random.nextGaussian();
      }
      channels.add(copy);
    }
    Field expected = ArrayEvaluator.residual(spec, grid, channels);
    try (NDManager manager = NDManager.newBaseManager()) {
      int c = channels.size();
      double[] flat = new double[c * size * size];
      for (int k = 0; k < c; k++) {
        System.arraycopy(channels.get(k).values(), 0, flat, k * size * size, size * size);
      }
      NDArray fields =
          manager.create(flat, new Shape(1, c, size, size)).toType(DataType.FLOAT64, false);
      NDArray r = DjlResidual.residual(spec, grid, fields);
      assertThat(r.getShape()).isEqualTo(new Shape(1, expected.rows(), expected.cols()));
      double[] actual = r.toType(DataType.FLOAT64, false).toDoubleArray();
      double max = java.util.Arrays.stream(expected.values()).map(Math::abs).max().orElse(1);
      for (int k = 0; k < actual.length; k++) {
        assertThat(actual[k]).isCloseTo(expected.values()[k], within(1e-9 * max));
      }
    }
  }
}
