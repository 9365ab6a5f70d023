package io.piddm.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.djl.DjlOps;
import io.piddm.diffusion.edm.Edm;
import io.piddm.diffusion.edm.Normalization;
import io.piddm.diffusion.net.OutputConstraint;
import io.piddm.diffusion.net.Preconditioning;
import io.piddm.diffusion.net.Student;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.physics.pde.FieldConstraints;
import io.piddm.physics.pde.Pde;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The student written against Ops is the teacher's network at σ_max on σ_max·ε without the EDM skip
 * path, and its output satisfies the PDE's field constraints exactly.
 */
class StudentTest {

  private static final Normalization NORM =
      new Normalization(List.of("a", "u"), new double[] {7.5, 0.02}, new double[] {9, 0.05});

  @Test
  void studentIsTheTeacherDenoiserAtSigmaMaxWithoutItsNoisePath() {
    UNet net = new UNet(UNetSpec.tiny(2));
    try (NDManager manager = NDManager.newBaseManager()) {
      Map<String, NDArray> params = parameters(net, manager);
      NDArray eps = manager.randomNormal(new Shape(3, 2, 16, 16));
      NDArray denoiser =
          new Edm(net, OutputConstraint.none())
              .denoise(params::get, eps.mul(Student.SIGMA), manager.full(new Shape(3), 80f));
      // D(σ_max·ε) − c_skip(σ_max)·σ_max·ε: what is left once the copied noise is taken out
      NDArray withoutSkip =
          denoiser.sub(eps.mul(Student.SIGMA * Preconditioning.cSkip(Student.SIGMA)));
      NDArray viaStudent =
          new Student(net, OutputConstraint.none()).forward(new DjlOps(), params::get, eps);

      float[] a = withoutSkip.toFloatArray();
      float[] b = viaStudent.toFloatArray();
      double maxDiff = 0;
      double maxAbs = 0;
      for (int k = 0; k < a.length; k++) {
        maxDiff = Math.max(maxDiff, Math.abs(a[k] - b[k]));
        maxAbs = Math.max(maxAbs, Math.abs(a[k]));
      }
      assertThat(maxAbs).isGreaterThan(0.01);
      assertThat(maxDiff).isLessThan(1e-4 * maxAbs);
    }
  }

  @Test
  void darcyOutputIsZeroOnTheBoundaryAndItsCoefficientInRange() {
    UNet net = new UNet(UNetSpec.tiny(2));
    int size = 16;
    OutputConstraint constraint =
        OutputConstraint.of(FieldConstraints.of(Pde.DARCY), NORM.mean(), NORM.std(), size);
    try (NDManager manager = NDManager.newBaseManager()) {
      Map<String, NDArray> params = parameters(net, manager);
      // large noise so the unconstrained network output leaves [3, 12] somewhere
      NDArray eps = manager.randomNormal(new Shape(4, 2, size, size)).mul(50);
      NDArray raw =
          NORM.toPhysical(
              new Student(net, OutputConstraint.none()).forward(new DjlOps(), params::get, eps));
      float[] free = raw.toFloatArray();
      float[] x =
          NORM.toPhysical(new Student(net, constraint).forward(new DjlOps(), params::get, eps))
              .toFloatArray();
      int plane = size * size;
      int outside = 0;
      for (int k = 0; k < x.length; k++) {
        int c = (k / plane) % 2;
        int p = k % plane;
        boolean boundary = FieldConstraints.onBoundary(p / size, p % size, size);
        if (c == 0) {
          assertThat((double) x[k]).isBetween(3 - 1e-4, 12 + 1e-4);
          if (free[k] < 3 || free[k] > 12) {
            outside++;
          } else {
            assertThat(x[k]).isCloseTo(free[k], org.assertj.core.data.Offset.offset(1e-4f));
          }
        } else if (boundary) {
          assertThat(Math.abs(x[k])).isLessThan(1e-6f);
        } else {
          assertThat(x[k]).isCloseTo(free[k], org.assertj.core.data.Offset.offset(1e-5f));
        }
      }
      assertThat(outside).as("the test must exercise the clamp").isGreaterThan(0);
    }
  }

  private static Map<String, NDArray> parameters(UNet net, NDManager manager) {
    Map<String, NDArray> params = new HashMap<>();
    net.perturbedWeights(3)
        .forEach(
            (name, v) -> params.put(name, manager.create(v, new Shape(net.shapes().get(name)))));
    return params;
  }
}
