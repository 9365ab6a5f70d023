package io.piddm.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The parts of the reconstruction that do not need a model: Adam, the typicality term, seeds. */
class ReconstructionMathTest {

  @Test
  void typicalityGradientMatchesFiniteDifferences() {
    int d = 50;
    float[] eps = new float[d];
    Random random = new Random(3);
    for (int k = 0; k < d; k++) {
      eps[k] = (float) (1.3 * random.nextGaussian());
    }
    double t = Reconstruction.typicality(eps, 0, d);
    double w = 0.7;
    int k = 17;
    double analytic = 4 * w * t / d * eps[k];
    double h = 1e-3;
    float[] plus = eps.clone();
    plus[k] += (float) h;
    float[] minus = eps.clone();
    minus[k] -= (float) h;
    double tp = Reconstruction.typicality(plus, 0, d);
    double tm = Reconstruction.typicality(minus, 0, d);
    double numeric = (w * tp * tp - w * tm * tm) / (plus[k] - minus[k]);
    assertThat(analytic).isCloseTo(numeric, within(1e-3 * Math.abs(numeric) + 1e-6));
  }

  @Test
  void adamsFirstStepMovesEachEntryByTheLearningRate() {
    float[] x = {1, 1, 1};
    float[] g = {0.5f, -2f, 1e-3f};
    new Reconstruction.Adam(3, 0.1).step(x, g, 1);
    assertThat(x[0]).isCloseTo(0.9f, within(1e-5f));
    assertThat(x[1]).isCloseTo(1.1f, within(1e-5f));
    assertThat(x[2]).isCloseTo(0.9f, within(1e-4f));
  }

  @Test
  void noiseSeedsDifferPerSampleAndSeed() {
    assertThat(StudentModel.noiseSeed(1, 0)).isNotEqualTo(StudentModel.noiseSeed(1, 1));
    assertThat(StudentModel.noiseSeed(1, 1)).isNotEqualTo(StudentModel.noiseSeed(2, 0));
    assertThat(StudentModel.noiseSeed(5, 3)).isEqualTo(StudentModel.noiseSeed(5, 3));
  }
}
