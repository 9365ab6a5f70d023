package io.piddm.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.metrics.PdeError;
import io.piddm.physics.pde.BurgersGenerator;
import io.piddm.physics.pde.JointField;
import io.piddm.physics.random.PeriodicRandomField;
import io.piddm.physics.random.Seeds;
import io.piddm.physics.residual.ResidualSpecs;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BurgersTest {

  @Test
  void theFirstRowIsTheRandomInitialCondition() {
    PeriodicRandomField grf = PeriodicRandomField.standard(8);
    BurgersGenerator generator = new BurgersGenerator(32, 8, 256, grf);
    Field u = generator.sample(5, 3).channels().get(0);
    // Recompute g(x_j) = Σ √2 σ_k (ξ cos 2πkx + η sin 2πkx) directly from the same Gaussians.
    Random random = Seeds.stream(5, io.piddm.physics.pde.Pde.BURGERS.ordinal(), 3);
    double[] xi = new double[9];
    double[] eta = new double[9];
    for (int k = 1; k <= 8; k++) {
      xi[k] = random.nextGaussian();
      eta[k] = random.nextGaussian();
    }
    for (int j = 0; j < 32; j++) {
      double x = j / 32.0;
      double g = 0;
      for (int k = 1; k <= 8; k++) {
        double s = grf.modeStd(k) * Math.sqrt(2);
        g += s * (xi[k] * Math.cos(2 * Math.PI * k * x) + eta[k] * Math.sin(2 * Math.PI * k * x));
      }
      assertThat(u.get(0, j)).isCloseTo(g, within(1e-12));
    }
  }

  @Test
  void meanIsConservedAndEnergyDecays() {
    Field u = BurgersGenerator.standard(64).sample(1, 0).channels().get(0);
    double previousEnergy = Double.POSITIVE_INFINITY;
    for (int n = 0; n < u.rows(); n++) {
      double mean = 0;
      double energy = 0;
      for (int j = 0; j < u.cols(); j++) {
        mean += u.get(n, j) / u.cols();
        energy += u.get(n, j) * u.get(n, j) / u.cols();
      }
      assertThat(mean).isCloseTo(0, within(1e-12));
      assertThat(energy).isLessThanOrEqualTo(previousEnergy + 1e-12);
      previousEnergy = energy;
    }
  }

  @Test
  void theSolutionHasConvergedInTheSolverGrid() {
    PeriodicRandomField grf = PeriodicRandomField.standard(16);
    Field coarse = new BurgersGenerator(64, 5, 1024, grf).sample(2, 0).channels().get(0);
    Field fine = new BurgersGenerator(64, 5, 2048, grf).sample(2, 0).channels().get(0);
    double max = 0;
    for (int k = 0; k < coarse.values().length; k++) {
      max = Math.max(max, Math.abs(coarse.values()[k] - fine.values()[k]));
    }
    assertThat(max).isLessThan(1e-6);
  }

  @Test
  void theCentralResidualFallsAtSecondOrderAsTheStoredGridRefines() {
    // A gentle initial condition, so the stored grids resolve the solution.
    PeriodicRandomField grf = new PeriodicRandomField(2.5, 7, 10, 6);
    double[] rms = new double[3];
    int[] sizes = {32, 64, 128};
    for (int r = 0; r < 3; r++) {
      int s = sizes[r];
      JointField sample = new BurgersGenerator(s, s, 1024, grf).sample(9, 0);
      rms[r] =
          PdeError.of(ResidualSpecs.byId("burgers/central"), new Grid(s), sample.channels())
              .relative();
    }
    System.out.printf(
        "burgers/central RMS residual at 32, 64, 128: %.3e %.3e %.3e%n", rms[0], rms[1], rms[2]);
    assertThat(rms[0] / rms[1]).isCloseTo(4, within(1.0));
    assertThat(rms[1] / rms[2]).isCloseTo(4, within(0.6));
  }

  @Test
  void standardSamplesAreFiniteAndReproducible() {
    BurgersGenerator generator = BurgersGenerator.standard(32);
    JointField a = generator.sample(4, 1);
    assertThat(a.channels()).hasSize(1);
    assertThat(BurgersGenerator.standard(32).sample(4, 1)).isEqualTo(a);
    for (double v : a.channels().get(0).values()) {
      assertThat(v).isFinite();
    }
    assertThat(List.of(ResidualSpecs.publishedCompatible(io.piddm.physics.pde.Pde.BURGERS).id()))
        .containsExactly("burgers/central");
  }
}
