package io.piddm.cli.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.piddm.api.sampler.ReconstructSpec;
import io.piddm.api.sampler.SamplerClient;
import io.piddm.proto.v1.TaskKind;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class ObservationsTest {

  static final boolean[] A = {true, false};
  static final boolean[] U = {false, true};
  static final boolean[] BOTH = {true, true};

  static float[] range(int n, float offset) {
    float[] v = new float[n];
    for (int k = 0; k < n; k++) {
      v[k] = offset + k;
    }
    return v;
  }

  @Test
  void aStackGivesTheIndexedField() {
    NpyFields.Array stack = new NpyFields.Array(range(3 * 2 * 4, 0), new int[] {3, 2, 2, 2});
    Observations.Planes p = Observations.arrange(stack, 2, 2, A, "--observations");
    assertThat(p.data()).containsExactly(range(8, 16));
    assertThat(p.shape()).containsExactly(2, 2, 2);
    assertThatThrownBy(() -> Observations.arrange(stack, 3, 2, A, "--observations"))
        .hasMessageContaining("--index 3");
  }

  @Test
  void aWholeFieldOrOnlyTheObservedChannels() {
    NpyFields.Array whole = new NpyFields.Array(range(8, 1), new int[] {2, 2, 2});
    assertThat(Observations.arrange(whole, 0, 2, U, "x").data()).containsExactly(range(8, 1));
    NpyFields.Array one = new NpyFields.Array(range(4, 1), new int[] {1, 2, 2});
    assertThat(Observations.arrange(one, 0, 2, U, "x").data())
        .containsExactly(0, 0, 0, 0, 1, 2, 3, 4);
    NpyFields.Array plane = new NpyFields.Array(range(4, 1), new int[] {2, 2});
    assertThat(Observations.arrange(plane, 0, 2, A, "x").data())
        .containsExactly(1, 2, 3, 4, 0, 0, 0, 0);
    // a plane is ambiguous when two channels are observed
    assertThatThrownBy(() -> Observations.arrange(plane, 0, 2, BOTH, "--observations"))
        .hasMessageContaining("2 channels are observed");
    NpyFields.Array three = new NpyFields.Array(range(12, 0), new int[] {3, 2, 2});
    assertThatThrownBy(() -> Observations.arrange(three, 0, 2, U, "--observations"))
        .hasMessageContaining("[3, 2, 2]")
        .hasMessageContaining("expected 2");
    NpyFields.Array vector = new NpyFields.Array(range(4, 0), new int[] {4});
    assertThatThrownBy(() -> Observations.arrange(vector, 0, 2, U, "--observations"))
        .hasMessageContaining("is not [H, W]");
  }

  @Test
  void aPlaneMaskAppliesToEveryObservedChannel() {
    NpyFields.Array m = new NpyFields.Array(new float[] {1, 0, 0, 1}, new int[] {2, 2});
    assertThat(Observations.arrangeMask(m, 0, 2, BOTH).data())
        .containsExactly(1, 0, 0, 1, 1, 0, 0, 1);
    assertThat(Observations.arrangeMask(m, 0, 2, U).data()).containsExactly(0, 0, 0, 0, 1, 0, 0, 1);
    NpyFields.Array whole =
        new NpyFields.Array(new float[] {1, 1, 1, 1, 1, 0, 1, 0}, new int[] {2, 2, 2});
    assertThat(Observations.arrangeMask(whole, 0, 2, U).data())
        .containsExactly(0, 0, 0, 0, 1, 0, 1, 0);
  }

  @Test
  void randomPointsAreDistinctSeededAndTheSameInEveryChannel() {
    List<ReconstructSpec.Point> p = Observations.randomPoints(10, 7, BOTH, 4, 5);
    assertThat(p).hasSize(20);
    assertThat(p).allSatisfy(q -> assertThat(q.row()).isBetween(0, 3));
    assertThat(p).allSatisfy(q -> assertThat(q.col()).isBetween(0, 4));
    var a = new HashSet<List<Integer>>();
    var u = new HashSet<List<Integer>>();
    for (ReconstructSpec.Point q : p) {
      (q.channel() == 0 ? a : u).add(List.of(q.row(), q.col()));
    }
    assertThat(a).hasSize(10).isEqualTo(u);
    assertThat(Observations.randomPoints(10, 7, BOTH, 4, 5)).isEqualTo(p);
    assertThat(Observations.randomPoints(10, 8, BOTH, 4, 5)).isNotEqualTo(p);
    assertThat(Observations.randomPoints(20, 1, U, 4, 5)).hasSize(20); // every node
    assertThatThrownBy(() -> Observations.randomPoints(21, 1, U, 4, 5))
        .hasMessageContaining("between 1 and 20");
  }

  @Test
  void boundaryAndTask() {
    assertThat(Observations.boundary(1, 4, 4)).hasSize(12).allMatch(q -> q.channel() == 1);
    assertThat(Observations.task(A)).isEqualTo(ReconstructSpec.Task.FORWARD);
    assertThat(Observations.task(U)).isEqualTo(ReconstructSpec.Task.INVERSE);
    assertThat(Observations.task(BOTH)).isEqualTo(ReconstructSpec.Task.RECONSTRUCTION);
    assertThat(Observations.task(new boolean[] {true}))
        .isEqualTo(ReconstructSpec.Task.RECONSTRUCTION);
  }

  @Test
  void specChecksItsShapesAndBuildsTheRequest() {
    assertThatThrownBy(
            () ->
                new ReconstructSpec(
                    null, null, new float[3], 1, 2, 2, null, null, 1, 0, null, 1, 0, 0, 0, 0))
        .hasMessageContaining("observations");
    assertThatThrownBy(
            () ->
                new ReconstructSpec(
                    null,
                    null,
                    new float[4],
                    1,
                    2,
                    2,
                    new float[4],
                    List.of(),
                    1,
                    0,
                    null,
                    1,
                    0,
                    0,
                    0,
                    0))
        .hasMessageContaining("not both");
    ReconstructSpec s =
        new ReconstructSpec(
            new SamplerClient.Model("m", 3, ""),
            ReconstructSpec.Task.INVERSE,
            new float[4],
            1,
            2,
            2,
            null,
            List.of(new ReconstructSpec.Point(0, 1, 1)),
            1,
            0.5,
            2.0,
            9,
            0.1,
            3,
            4,
            2);
    assertThat(s.maskArray()).containsExactly(0, 0, 0, 1);
    assertThat(s.observedEntries()).isEqualTo(1);
    var r = s.toRequest();
    assertThat(r.getModel().getModelName()).isEqualTo("m");
    assertThat(r.getModel().getVersion()).isEqualTo(3);
    assertThat(r.getObservations().getShapeList()).containsExactly(1L, 2L, 2L);
    assertThat(r.getPoints().getPoints(0).getRow()).isEqualTo(1);
    assertThat(r.getLambdaSolution()).isEqualTo(2);
    assertThat(r.getFieldEvery()).isEqualTo(3);
    assertThat(r.getSeed()).isEqualTo(4);
    assertThat(r.getEnsembleSize()).isEqualTo(2);
    // unset steps, rate and weights travel as unset: the sampler takes the model's defaults
    var unset =
        new ReconstructSpec(
                null,
                ReconstructSpec.Task.FORWARD,
                new float[4],
                1,
                2,
                2,
                null,
                null,
                0,
                0,
                null,
                0,
                0,
                0,
                0,
                0)
            .toRequest();
    assertThat(unset.hasLambdaSolution()).isFalse();
    assertThat(unset.getSteps()).isZero();
    assertThat(unset.getLearningRate()).isZero();
    assertThat(unset.getTask()).isEqualTo(TaskKind.TASK_KIND_FORWARD);
  }
}
