package io.piddm.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LossTracesTest {

  @TempDir Path dir;

  /** 100 logged steps: loss 1 for the first 50, then 0.5 apart from one spike of 40 at step 700. */
  private static String teacherCsv() {
    StringBuilder csv = new StringBuilder("step,loss\n");
    for (int step = 10; step <= 1000; step += 10) {
      double loss = step == 700 ? 40 : step <= 500 ? 1 : 0.5;
      csv.append(step).append(',').append(loss).append('\n');
    }
    return csv.toString();
  }

  @Test
  void windowsAndSpikesAreReadFromTheTrace() throws IOException {
    Path csv = dir.resolve("t.csv");
    Files.writeString(csv, teacherCsv(), StandardCharsets.UTF_8);
    LossTraces.Trace t = LossTraces.read(csv);
    assertThat(t.windowMean("loss", 0, 0.1)).isEqualTo(1.0);
    assertThat(t.windowMean("loss", 0.9, 1.0)).isEqualTo(0.5);
    assertThat(t.maxAfter("loss", 0.1)).isEqualTo(40.0);
    assertThat(t.smoothed("loss", 10)).hasSize(19);
  }

  @Test
  void aTraceWithARaggedLineIsRefused() throws IOException {
    Path csv = dir.resolve("bad.csv");
    Files.writeString(csv, "step,loss,regression\n10,1,0.5\n20,1\n", StandardCharsets.UTF_8);
    assertThatThrownBy(() -> LossTraces.read(csv))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("line 3");
  }

  @Test
  void copiedTracesBecomeTheConvergenceTableAndFigures() throws IOException {
    Path seed = dir.resolve("work/seed-5");
    Files.createDirectories(seed.resolve("teacher"));
    Files.writeString(seed.resolve("teacher/loss-trace.csv"), teacherCsv(), StandardCharsets.UTF_8);
    Files.createDirectories(seed.resolve("student"));
    Files.writeString(
        seed.resolve("student/loss-trace.csv"),
        "step,loss,regression,residual,lambda\n10,2,2,300,0\n20,0.1,0.08,0.2,0.1\n",
        StandardCharsets.UTF_8);
    Path results = dir.resolve("docs/results");
    LossTraces.copy(
        "darcy16-test",
        List.of(5L),
        s -> dir.resolve("work/seed-" + s),
        results.resolve(LossTraces.DIR));

    String md = LossTraces.section("darcy16-test", List.of(5L), results);

    assertThat(results.resolve("traces/darcy16-test-seed-5-teacher.csv")).isNotEmptyFile();
    assertThat(results.resolve("traces/darcy16-test-seed-5-lambda0.csv")).doesNotExist();
    assertThat(md)
        .contains("| teacher | 5 | 1000 | 1.00 | 0.500 | 1.00 | 40.0 | – | – | – |")
        .contains("| PIDDM-1 | 5 | 20 |")
        .contains("| 0.0800 | 0.200 | 0.100 |");
    assertThat(results.resolve("figures/darcy16-test-teacher-loss.png")).isNotEmptyFile();
    assertThat(results.resolve("figures/darcy16-test-student-loss.png")).isNotEmptyFile();
    assertThat(LossTraces.section("poisson16-test", List.of(5L), results)).isEmpty();
  }
}
