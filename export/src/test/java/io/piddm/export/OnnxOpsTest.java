package io.piddm.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The graph builder and tape on their own: sharing, broadcasting, shape checks. */
class OnnxOpsTest {

  @Test
  void constantsAndWeightsAreStoredOnce() {
    OnnxGraph graph = new OnnxGraph("g");
    assertThat(graph.scalar(0.5)).isEqualTo(graph.scalar(0.5));
    assertThat(graph.longs(0, 4, -1)).isEqualTo(graph.longs(0, 4, -1));
    Sym w = graph.initializer("w", new float[] {1, 2}, 2);
    assertThat(graph.initializer("w", new float[] {1, 2}, 2)).isEqualTo(w);
    assertThatThrownBy(() -> graph.initializer("v", new float[] {1, 2, 3}, 2))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void broadcastGradientsAreSummedBackToTheOperandShape() {
    OnnxGraph graph = new OnnxGraph("g");
    OnnxOps ops = new OnnxOps(graph);
    Sym x = ops.track(graph.input("x", Sym.BATCH, 3, 4, 4));
    Sym perChannel = ops.track(graph.input("c", 3, 1, 1));
    Sym y = ops.reduceSum(ops.mul(ops.mul(x, perChannel), x), false, 1, 2, 3);
    assertThat(y.shape()).containsExactly(Sym.BATCH);
    Sym gc = ops.gradient(y, ops.onesLike(y), perChannel);
    assertThat(gc.shape()).containsExactly(3, 1, 1);
  }

  @Test
  void aSeedOfAnotherShapeOrAnUnrelatedInputIsRefused() {
    OnnxGraph graph = new OnnxGraph("g");
    OnnxOps ops = new OnnxOps(graph);
    Sym x = ops.track(graph.input("x", Sym.BATCH, 2));
    Sym other = ops.track(graph.input("z", Sym.BATCH, 2));
    Sym y = ops.silu(x);
    assertThatThrownBy(() -> ops.gradient(y, graph.scalar(1), x))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("shape");
    assertThatThrownBy(() -> ops.gradient(y, ops.onesLike(y), other))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("does not depend");
  }

  @Test
  void onlyTheLeadingDimensionMayBeDynamic() {
    assertThatThrownBy(() -> new Sym("s", new long[] {2, Sym.BATCH}, OnnxGraph.FLOAT))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> OnnxOps.broadcast(new long[] {Sym.BATCH, 3}, new long[] {2, 3}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void matMulBroadcastsLeadingAxesAndSumsTheConstantSidesGradientBack() {
    OnnxGraph graph = new OnnxGraph("g");
    OnnxOps ops = new OnnxOps(graph);
    Sym x = ops.track(graph.input("x", Sym.BATCH, 1, 3, 4));
    Sym left = ops.track(graph.input("l", 5, 3));
    Sym y = ops.matMul(left, x);
    assertThat(y.shape()).containsExactly(Sym.BATCH, 1, 5, 4);
    Sym total = ops.reduceSum(y, false, 1, 2, 3);
    assertThat(ops.gradient(total, ops.onesLike(total), left).shape()).containsExactly(5, 3);
    assertThatThrownBy(() -> ops.matMul(x, left))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("matMul");
  }
}
