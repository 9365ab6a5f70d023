package io.piddm.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.djl.DjlInverseLaplacian;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.solve.DirichletLaplacian;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The tensor form of the inverse Laplacian gives the physics module's answer, batch by batch. */
class DjlInverseLaplacianTest {

  private static final Grid GRID = new Grid(16);
  private final DirichletLaplacian laplacian = DirichletLaplacian.interiorOf(GRID);
  private final DjlInverseLaplacian inverse = new DjlInverseLaplacian(laplacian);

  @Test
  void eachFieldOfABatchIsSolvedAsThePlainJavaSolveDoes() {
    int n = laplacian.interiorSize();
    int batch = 3;
    Random random = new Random(5);
    double[] values = new double[batch * n * n];
    for (int k = 0; k < values.length; k++) {
      values[k] = random.nextGaussian();
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray exact = inverse.apply(manager.create(values, new Shape(batch, n, n)));
      NDArray single =
          inverse.apply(
              manager.create(values, new Shape(batch, n, n)).toType(DataType.FLOAT32, false));
      assertThat(exact.getDataType()).isEqualTo(DataType.FLOAT64);
      assertThat(single.getDataType()).isEqualTo(DataType.FLOAT32);
      double[] got = exact.toDoubleArray();
      float[] got32 = single.toFloatArray();
      for (int b = 0; b < batch; b++) {
        double[] expected = laplacian.solve(Arrays.copyOfRange(values, b * n * n, (b + 1) * n * n));
        double scale = Arrays.stream(expected).map(Math::abs).max().orElseThrow();
        for (int p = 0; p < n * n; p++) {
          assertThat(got[b * n * n + p]).isCloseTo(expected[p], within(1e-12 * scale));
          assertThat((double) got32[b * n * n + p]).isCloseTo(expected[p], within(1e-5 * scale));
        }
      }
    }
  }

  @Test
  void fieldsOfAnotherSizeAreRefused() {
    try (NDManager manager = NDManager.newBaseManager()) {
      assertThatThrownBy(() -> inverse.apply(manager.zeros(new Shape(2, 16, 16))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("[N, 14, 14]");
    }
  }
}
