package io.piddm.physics.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.piddm.physics.pde.Pde;
import java.util.List;
import org.junit.jupiter.api.Test;

class DownstreamTaskTest {

  private static final DownstreamTask.SparsePoints POINTS =
      new DownstreamTask.SparsePoints(0.25, 9);

  @Test
  void ellipticTasksObserveCoefficientWithBoundaryValuesOrSolutionOrPoints() {
    List<DownstreamTask> tasks = DownstreamTask.of(Pde.DARCY, POINTS);
    assertThat(tasks)
        .extracting(DownstreamTask::name)
        .containsExactly("forward+bc", "inverse", "sparse");
    assertThat(tasks)
        .extracting(DownstreamTask::observed)
        .containsExactly("a + boundary values of u", "u", "25% of points of [a, u]");

    int size = 4;
    float[] forward = tasks.get(0).mask(2, size, 0);
    assertThat(sum(forward, 0, 16)).isEqualTo(16); // all of a
    assertThat(sum(forward, 16, 32)).isEqualTo(12); // the 12 boundary nodes of u
    assertThat(forward[16 + 5]).isZero(); // an interior node of u
    assertThat(tasks.get(0).targets()).extracting(DownstreamTask.Target::name).containsExactly("u");

    float[] inverse = tasks.get(1).mask(2, size, 0);
    assertThat(sum(inverse, 0, 16)).isZero();
    assertThat(sum(inverse, 16, 32)).isEqualTo(16);
    DownstreamTask.Target coefficient = tasks.get(1).targets().get(0);
    assertThat(coefficient.name()).isEqualTo("a");
    assertThat(coefficient.errorRate()).isTrue();

    DownstreamTask sparse = tasks.get(2);
    float[] points = sparse.mask(2, 16, 3);
    for (int p = 0; p < 256; p++) {
      assertThat(points[p]).as("same points in both channels").isEqualTo(points[256 + p]);
    }
    assertThat(sum(points, 0, 256) / 256.0).isBetween(0.15, 0.35);
    assertThat(sparse.mask(2, 16, 3)).as("reproducible per field").containsExactly(points);
    assertThat(sparse.mask(2, 16, 4)).as("another field, other points").isNotEqualTo(points);
    assertThat(sparse.targets()).extracting(DownstreamTask.Target::name).containsExactly("a", "u");
    assertThat(DownstreamTask.of(Pde.POISSON, POINTS).get(1).targets().get(0).errorRate())
        .as("only Darcy's coefficient is binary")
        .isFalse();
  }

  @Test
  void burgersForwardObservesTheInitialConditionAndInverseTheLastTimeLevel() {
    List<DownstreamTask> tasks = DownstreamTask.of(Pde.BURGERS, POINTS);
    assertThat(tasks)
        .extracting(DownstreamTask::name)
        .containsExactly("forward", "inverse", "sparse");
    int size = 4;
    float[] forward = tasks.get(0).mask(1, size, 0);
    assertThat(forward).containsExactly(1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    float[] inverse = tasks.get(1).mask(1, size, 0);
    assertThat(inverse).containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1);

    float[] field = new float[16];
    for (int k = 0; k < 16; k++) {
      field[k] = k;
    }
    DownstreamTask.Target later = tasks.get(0).targets().get(0);
    assertThat(later.name()).isEqualTo("u at t > 0");
    assertThat(later.of(field, size).rows()).isEqualTo(3);
    assertThat(later.of(field, size).values()[0]).isEqualTo(4);
    DownstreamTask.Target initial = tasks.get(1).targets().get(0);
    assertThat(initial.name()).isEqualTo("u at t = 0");
    assertThat(initial.of(field, size).values()).containsExactly(0, 1, 2, 3);
  }

  @Test
  void scoresOnlyTheTargetEntries() {
    DownstreamTask.Target initial = DownstreamTask.of(Pde.BURGERS, POINTS).get(1).targets().get(0);
    float[] truth = {1, 1, 1, 1, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5};
    float[] estimate = truth.clone();
    estimate[0] = 2; // the only error inside the target row
    estimate[10] = 0; // outside the target: not scored
    assertThat(initial.relativeL2(estimate, truth, 4)).isCloseTo(0.5, within(1e-12));
    assertThat(initial.errorRate(estimate, truth, 4)).isNaN();
  }

  @Test
  void refusesASparseFractionOutsideZeroToOne() {
    assertThatThrownBy(() -> new DownstreamTask.SparsePoints(0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("(0, 1]");
    assertThatThrownBy(() -> new DownstreamTask.SparsePoints(1.5, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static int sum(float[] mask, int from, int to) {
    int s = 0;
    for (int k = from; k < to; k++) {
      s += (int) mask[k];
    }
    return s;
  }
}
