package io.piddm.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.piddm.physics.grid.Field;
import io.piddm.physics.metrics.SampleMetrics;
import java.util.List;
import org.junit.jupiter.api.Test;

class SampleMetricsTest {

  private static Field constant(double value) {
    Field f = Field.zeros(2, 2);
    java.util.Arrays.fill(f.values(), value);
    return f;
  }

  @Test
  void mmseAndSmseCompareThePixelMeansAndStandardDeviations() {
    // generated: values 1 and 3 (mean 2, std 1); reference: 0 and 0 (mean 0, std 0)
    List<Field> generated = List.of(constant(1), constant(3));
    List<Field> reference = List.of(constant(0), constant(0));
    assertThat(SampleMetrics.mmse(generated, reference)).isCloseTo(4, within(1e-15));
    assertThat(SampleMetrics.smse(generated, reference)).isCloseTo(1, within(1e-15));
    assertThat(SampleMetrics.mmse(generated, generated)).isZero();
  }

  @Test
  void relativeL2AndErrorRate() {
    Field truth = constant(2);
    Field estimate = constant(2);
    estimate.set(0, 0, 4); // error 2 at one of four pixels: ‖e‖ = 2, ‖truth‖ = 4
    assertThat(SampleMetrics.relativeL2(estimate, truth)).isCloseTo(0.5, within(1e-15));

    Field a = constant(12);
    Field b = constant(12);
    b.set(1, 1, 3);
    assertThat(SampleMetrics.errorRate(b, a, 7.5)).isEqualTo(0.25);
    assertThat(SampleMetrics.errorRate(a, a, 7.5)).isZero();
  }
}
