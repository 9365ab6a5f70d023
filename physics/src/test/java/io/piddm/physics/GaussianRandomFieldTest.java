package io.piddm.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.random.GaussianRandomField;
import io.piddm.physics.random.Seeds;
import org.junit.jupiter.api.Test;

/** The GRF's cosine spectrum matches the requested covariance; seeds reproduce bits. */
class GaussianRandomFieldTest {

  @Test
  void modeVariancesMatchTheCovariance() {
    Grid grid = new Grid(33);
    GaussianRandomField grf = new GaussianRandomField(grid, 2, 3, 3);
    int s = grid.size();
    double h = grid.spacing();
    int modes = 5;
    double[][] sumSquares = new double[modes][modes];
    int samples = 2000;
    for (int n = 0; n < samples; n++) {
      Field g = grf.sample(Seeds.stream(42, 0, n));
      for (int k = 0; k < modes; k++) {
        for (int l = 0; l < modes; l++) {
          double c = 0;
          for (int i = 0; i < s; i++) {
            double wi = (i == 0 || i == s - 1) ? 0.5 : 1;
            double psiK = GaussianRandomField.basisFunction(k, grid.coordinate(i));
            for (int j = 0; j < s; j++) {
              double wj = (j == 0 || j == s - 1) ? 0.5 : 1;
              c +=
                  wi
                      * wj
                      * psiK
                      * GaussianRandomField.basisFunction(l, grid.coordinate(j))
                      * g.get(i, j);
            }
          }
          c *= h * h; // trapezoid projection: exact for the grid's cosines below the Nyquist mode
          sumSquares[k][l] += c * c;
        }
      }
    }
    for (int k = 0; k < modes; k++) {
      for (int l = 0; l < modes; l++) {
        double expected = grf.modeStd(k, l) * grf.modeStd(k, l);
        double measured = sumSquares[k][l] / samples;
        if (k == 0 && l == 0) {
          assertThat(measured).isLessThan(1e-20);
        } else {
          assertThat(measured / expected).as("mode (%d, %d)", k, l).isCloseTo(1, within(0.15));
        }
      }
    }
  }

  @Test
  void theSpectrumDecaysWithTheRequestedPower() {
    GaussianRandomField grf = new GaussianRandomField(new Grid(16), 2, 3, 1);
    // std ∝ (π²(k²+l²)+τ²)^(−α/2): for α = 2 the std is the inverse eigenvalue.
    assertThat(grf.modeStd(3, 4)).isCloseTo(1 / (Math.PI * Math.PI * 25 + 9), within(1e-15));
  }

  @Test
  void aSeedGivesTheSameBits() {
    GaussianRandomField grf = GaussianRandomField.standard(new Grid(24));
    assertThat(grf.sample(Seeds.stream(1, 0, 9))).isEqualTo(grf.sample(Seeds.stream(1, 0, 9)));
    assertThat(grf.sample(Seeds.stream(1, 0, 9))).isNotEqualTo(grf.sample(Seeds.stream(1, 0, 10)));
  }
}
