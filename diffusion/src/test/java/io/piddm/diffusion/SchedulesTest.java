package io.piddm.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.piddm.diffusion.distill.DistillSettings;
import io.piddm.diffusion.train.LossTrace;
import io.piddm.diffusion.train.TrainSettings;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The λ schedule, the learning-rate decay and loss traces that survive a resume. */
class SchedulesTest {

  @Test
  void residualTermIsOffDuringTheWarmUpThenRampsToLambda() {
    DistillSettings d = new DistillSettings(8, 2, 0, 0, 0.1, 4, 100, 50);
    assertThat(d.lambdaAt(0)).isZero();
    assertThat(d.lambdaAt(99)).isZero();
    assertThat(d.lambdaAt(100)).isCloseTo(0.1 / 50, within(1e-15));
    assertThat(d.lambdaAt(124)).isCloseTo(0.05, within(1e-15));
    assertThat(d.lambdaAt(149)).isCloseTo(0.1, within(1e-15));
    assertThat(d.lambdaAt(10_000)).isEqualTo(0.1);
    assertThat(new DistillSettings(8, 2, 0, 0, 0.1, 4).lambdaAt(0)).isEqualTo(0.1);
    assertThat(d.withLambdaTrain(0).lambdaAt(10_000)).isZero();
    assertThatThrownBy(() -> new DistillSettings(8, 2, 0, 0, 0.1, 4, -1, 0))
        .hasMessageContaining("residual warm-up");
  }

  @Test
  void learningRateWarmsUpThenDecaysByACosineToItsFinalFraction() {
    TrainSettings s = new TrainSettings(16, 1_000, 1e-3, 100, 1, 0.99, 1, 0, null, 0.1);
    assertThat(s.learningRateAt(50)).isCloseTo(5e-4, within(1e-15));
    assertThat(s.learningRateAt(100)).isCloseTo(1e-3, within(1e-15));
    assertThat(s.learningRateAt(550)).isCloseTo(1e-3 * (0.1 + 0.9 * 0.5), within(1e-12));
    assertThat(s.learningRateAt(1_000)).isCloseTo(1e-4, within(1e-15));
    TrainSettings constant = new TrainSettings(16, 1_000, 1e-3, 100, 1, 0.99, 1, 0, null);
    assertThat(constant.learningRateAt(1_000)).isEqualTo(1e-3);
    assertThat(constant.withSeed(2).finalLearningRateFraction()).isEqualTo(1);
    assertThatThrownBy(() -> new TrainSettings(16, 1_000, 1e-3, 100, 1, 0.99, 1, 0, null, 0))
        .hasMessageContaining("final lr fraction");
  }

  @Test
  void aResumedTraceKeepsTheLastValueOfEveryStep(@TempDir Path dir) throws Exception {
    Path file = dir.resolve(LossTrace.FILE);
    Map<String, Double> terms = new LinkedHashMap<>();
    LossTrace first = new LossTrace(file, 10, () -> terms, (s, t, l, r, e, k) -> {});
    for (long step = 1; step <= 30; step++) {
      terms.put("residual", step * 2.0);
      first.onStep(step, 40, step, 1, 1, 0);
    }
    // killed after step 30, resumed from a checkpoint at step 20: steps 21..40 run again
    LossTrace resumed = new LossTrace(file, 10, () -> terms, (s, t, l, r, e, k) -> {});
    for (long step = 21; step <= 40; step++) {
      terms.put("residual", step * 3.0);
      resumed.onStep(step, 40, step + 0.5, 1, 1, 0);
    }
    Map<String, List<Double>> trace = LossTrace.read(file);
    assertThat(trace.keySet()).containsExactly("step", "loss", "residual");
    assertThat(trace.get("step")).containsExactly(10.0, 20.0, 30.0, 40.0);
    assertThat(trace.get("loss")).containsExactly(10.0, 20.0, 30.5, 40.5);
    assertThat(trace.get("residual")).containsExactly(20.0, 40.0, 90.0, 120.0);
  }
}
