package io.piddm.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.piddm.diffusion.net.UNetSpec;
import io.piddm.inference.OnnxSessions;
import io.piddm.inference.StudentModel;
import io.piddm.inference.eval.ReconstructionEvaluation;
import io.piddm.inference.eval.ReconstructionEvaluation.TaskReport;
import io.piddm.physics.dataset.DatasetGenerator;
import io.piddm.physics.dataset.DatasetSpec;
import io.piddm.physics.pde.Pde;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reconstruction evaluation on a real exported student and a solver-made reference: every task
 * reports finite errors, the Adam steps lower the forward task's error on average, and a reference
 * of another grid is refused.
 */
class ReconstructionEvaluationTest {

  @Test
  void scoresForwardInverseAndSparseTasks(@TempDir Path dir) throws Exception {
    Path student = dir.resolve("student");
    OnnxExporter.export(Fixtures.export(UNetSpec.tiny(2), 16, 3), student);
    Path reference = dir.resolve("reference");
    new DatasetGenerator(new DatasetSpec(Pde.DARCY, 16, 3, 11), 1).generate(reference, n -> {});
    ReconstructionEvaluation.Settings settings =
        new ReconstructionEvaluation.Settings(3, 40, 1.0, 1e-6, 1, 0.03, 10, 5);
    try (StudentModel model = StudentModel.open(student, OnnxSessions.Provider.CPU, 1)) {
      List<TaskReport> reports = ReconstructionEvaluation.evaluate(model, reference, settings);
      assertThat(reports)
          .extracting(TaskReport::task)
          .containsExactly("forward+bc", "inverse", "sparse", "sparse");
      assertThat(reports).extracting(TaskReport::estimated).containsExactly("u", "a", "a", "u");
      for (TaskReport r : reports) {
        assertThat(r.count()).isEqualTo(3);
        assertThat(r.relativeL2ByStep()).hasSize(5);
        assertThat(java.util.Arrays.stream(r.relativeL2ByStep()).allMatch(Double::isFinite))
            .isTrue();
        assertThat(r.relativeL2Mean()).isFinite().isPositive();
        assertThat(r.relativeL2ByStep()[4])
            .isCloseTo(r.relativeL2Mean(), org.assertj.core.data.Offset.offset(1e-9));
      }
      TaskReport forward = reports.get(0);
      assertThat(forward.relativeL2ByStep()[4]).isLessThan(forward.relativeL2ByStep()[0]);
      assertThat(reports.get(1).errorRateMean()).isNotNull().isBetween(0.0, 1.0);
      assertThat(reports.get(3).errorRateMean()).isNull();
    }
  }

  @Test
  void aReferenceOfAnotherGridIsRefused(@TempDir Path dir) throws Exception {
    Path student = dir.resolve("student");
    OnnxExporter.export(Fixtures.export(UNetSpec.tiny(2), 16, 3), student);
    Path reference = dir.resolve("reference");
    new DatasetGenerator(new DatasetSpec(Pde.DARCY, 32, 1, 11), 1).generate(reference, n -> {});
    try (StudentModel model = StudentModel.open(student, OnnxSessions.Provider.CPU, 1)) {
      assertThatThrownBy(
              () ->
                  ReconstructionEvaluation.evaluate(
                      model,
                      reference,
                      new ReconstructionEvaluation.Settings(1, 1, 1.0, 1, 1, 0.03, 1, 5)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("32²");
    }
  }
}
