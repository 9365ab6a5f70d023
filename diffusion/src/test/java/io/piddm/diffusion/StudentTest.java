package io.piddm.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.djl.DjlOps;
import io.piddm.diffusion.edm.Edm;
import io.piddm.diffusion.edm.Normalization;
import io.piddm.diffusion.net.Student;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The student written against Ops is the teacher's denoiser at σ_max on σ_max·ε. */
class StudentTest {

  @Test
  void studentIsTheTeacherDenoiserAtSigmaMax() {
    UNet net = new UNet(UNetSpec.tiny(2));
    try (NDManager manager = NDManager.newBaseManager()) {
      Map<String, NDArray> params = new HashMap<>();
      net.perturbedWeights(3)
          .forEach(
              (name, v) -> params.put(name, manager.create(v, new Shape(net.shapes().get(name)))));
      NDArray eps = manager.randomNormal(new Shape(3, 2, 16, 16));
      Normalization norm =
          new Normalization(List.of("a", "u"), new double[] {1, -2}, new double[] {3, 0.5});

      NDArray viaEdm =
          norm.toPhysical(
              new Edm(net)
                  .denoise(params::get, eps.mul(Student.SIGMA), manager.full(new Shape(3), 80f)));
      NDArray viaStudent =
          new Student(net).physical(new DjlOps(), params::get, eps, norm.std(), norm.mean());

      float[] a = viaEdm.toFloatArray();
      float[] b = viaStudent.toFloatArray();
      double maxDiff = 0;
      double maxAbs = 0;
      for (int k = 0; k < a.length; k++) {
        maxDiff = Math.max(maxDiff, Math.abs(a[k] - b[k]));
        maxAbs = Math.max(maxAbs, Math.abs(a[k]));
      }
      assertThat(maxAbs).isGreaterThan(0.1);
      assertThat(maxDiff).isLessThan(1e-4 * maxAbs);
    }
  }
}
