package io.piddm.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.piddm.diffusion.distill.SolvedTargets;
import io.piddm.diffusion.edm.Normalization;
import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.metrics.PdeError;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.pde.SampleGenerator;
import io.piddm.physics.residual.ResidualSpecs;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A target whose u is replaced by the solution for its own a solves the PDE; a is untouched. */
class SolvedTargetsTest {

  private static final Grid GRID = new Grid(16);
  private static final Normalization NORMALIZATION =
      new Normalization(List.of("a", "u"), new double[] {7.5, 0.005}, new double[] {9, 0.008});

  /** Sample {@code index}'s a and u, u scaled by 1.3 so the target does not solve the PDE. */
  private static float[] inconsistentTarget(long index) {
    List<Field> sample = SampleGenerator.standard(Pde.DARCY, GRID).sample(5, index).channels();
    int pixels = GRID.size() * GRID.size();
    float[] target = new float[2 * pixels];
    for (int k = 0; k < pixels; k++) {
      target[k] = (float) ((sample.get(0).values()[k] - 7.5) / 9);
      target[pixels + k] = (float) ((1.3 * sample.get(1).values()[k] - 0.005) / 0.008);
    }
    return target;
  }

  private static List<Field> physical(float[] target, int offset) {
    int pixels = GRID.size() * GRID.size();
    double[] a = new double[pixels];
    double[] u = new double[pixels];
    for (int k = 0; k < pixels; k++) {
      a[k] = target[offset + k] * 9 + 7.5;
      u[k] = target[offset + pixels + k] * 0.008 + 0.005;
    }
    return List.of(new Field(16, 16, a), new Field(16, 16, u));
  }

  @Test
  void replacesUByTheSolutionForItsOwnCoefficient() {
    float[] first = inconsistentTarget(0);
    float[] second = inconsistentTarget(1);
    float[] bank = new float[first.length * 2];
    System.arraycopy(first, 0, bank, 0, first.length);
    System.arraycopy(second, 0, bank, first.length, second.length);
    double before =
        PdeError.of(ResidualSpecs.training(Pde.DARCY), GRID, physical(bank, first.length))
            .relative();

    SolvedTargets targets = new SolvedTargets(Pde.DARCY, GRID, NORMALIZATION);
    targets.apply(bank, first.length);

    double after =
        PdeError.of(ResidualSpecs.training(Pde.DARCY), GRID, physical(bank, first.length))
            .relative();
    assertThat(before).isGreaterThan(0.1);
    // what is left is the float32 rounding of the normalised u
    assertThat(after).isLessThan(1e-3);
    // a is the teacher's, and the other target in the bank is untouched
    assertThat(java.util.Arrays.copyOfRange(bank, first.length, first.length + 256))
        .containsExactly(java.util.Arrays.copyOfRange(second, 0, 256));
    assertThat(java.util.Arrays.copyOf(bank, first.length)).containsExactly(first);
    assertThat(targets.solved()).isEqualTo(1);
    assertThat(targets.refused()).isZero();
  }

  @Test
  void aCoefficientTheSolverRefusesKeepsTheTeachersSolution() {
    float[] target = inconsistentTarget(2);
    target[40] = (float) ((-1 - 7.5) / 9); // a = −1 at one node: not positive definite
    float[] kept = target.clone();

    SolvedTargets targets = new SolvedTargets(Pde.DARCY, GRID, NORMALIZATION);
    targets.apply(target, 0);

    assertThat(target).containsExactly(kept);
    assertThat(targets.refused()).isEqualTo(1);
    assertThat(targets.solved()).isZero();
  }

  @Test
  void burgersHasNoBoundaryValueProblemToSolve() {
    assertThatThrownBy(() -> new SolvedTargets(Pde.BURGERS, GRID, NORMALIZATION))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("elliptic");
  }
}
