package io.piddm.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.piddm.inference.ReconstructionDefaults.Task;
import io.piddm.inference.ReconstructionDefaults.TaskSettings;
import io.piddm.physics.pde.Pde;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The defaults as they travel in ONNX metadata, and what a malformed value is told. */
class ReconstructionDefaultsTest {

  @Test
  void everyPdesValidatedDefaultsSurviveTheirJsonAndCoverEveryTask() {
    for (Pde pde : Pde.values()) {
      ReconstructionDefaults d = ReconstructionDefaults.validated(pde);
      assertThat(d.tasks()).containsOnlyKeys(Task.values());
      assertThat(ReconstructionDefaults.fromJson(d.toJson())).isEqualTo(d);
    }
    assertThat(ReconstructionDefaults.validated(Pde.BURGERS).tasks().values())
        .as("Burgers' graph has no solution term")
        .allMatch(s -> s.lambdaSolution() == 0);
    assertThat(ReconstructionDefaults.validated(Pde.POISSON).of(Task.FORWARD))
        .contains(new TaskSettings(45, 0.05, 1, 1e-3, 100, Reconstruction.Optimizer.LBFGS));
  }

  @Test
  void absentMetadataIsNoDefaultsAndAMalformedOneNamesWhatIsWrong() {
    assertThat(ReconstructionDefaults.fromJson(null)).isEqualTo(ReconstructionDefaults.none());
    assertThat(ReconstructionDefaults.none().of(Task.INVERSE)).isEmpty();
    assertThatThrownBy(
            () ->
                ReconstructionDefaults.fromJson(
                    "{\"sideways\": {\"steps\": 3, \"learningRate\": 0.1, \"lambdaPde\": 1}}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown task \"sideways\"");
    assertThatThrownBy(
            () ->
                ReconstructionDefaults.fromJson(
                    "{\"forward\": {\"steps\": 0, \"learningRate\": 0.1, \"lambdaPde\": 1}}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("steps must be >= 1");
    assertThatThrownBy(() -> ReconstructionDefaults.fromJson("{\"forward\": ["))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unparseable");
    assertThatThrownBy(() -> new TaskSettings(5, 0.1, 0, 0, 0))
        .hasMessageContaining("nothing to minimise");
  }

  @Test
  void theOptimizerTravelsInTheJsonAndDefaultsWrittenBeforeItAreAdam() {
    ReconstructionDefaults lbfgs =
        new ReconstructionDefaults(
            Map.of(
                Task.INVERSE,
                new TaskSettings(50, 0.05, 1, 1e-3, 0, Reconstruction.Optimizer.LBFGS)));
    assertThat(lbfgs.toJson()).contains("\"optimizer\":\"LBFGS\"");
    assertThat(ReconstructionDefaults.fromJson(lbfgs.toJson())).isEqualTo(lbfgs);
    ReconstructionDefaults older =
        ReconstructionDefaults.fromJson(
            "{\"inverse\": {\"steps\": 200, \"learningRate\": 0.05, \"lambdaObs\": 1,"
                + " \"lambdaPde\": 0.001, \"lambdaSolution\": 0}}");
    assertThat(older.of(Task.INVERSE).orElseThrow().optimizer())
        .isEqualTo(Reconstruction.Optimizer.ADAM);
    assertThatThrownBy(
            () ->
                ReconstructionDefaults.fromJson(
                    "{\"inverse\": {\"steps\": 3, \"learningRate\": 0.1, \"lambdaPde\": 1,"
                        + " \"optimizer\": \"NEWTON\"}}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown optimizer \"NEWTON\"");
  }
}
