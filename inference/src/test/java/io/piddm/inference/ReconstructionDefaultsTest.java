package io.piddm.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.piddm.inference.ReconstructionDefaults.Task;
import io.piddm.inference.ReconstructionDefaults.TaskSettings;
import io.piddm.physics.pde.Pde;
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
        .contains(new TaskSettings(50, 0.05, 1, 1e-3, 100));
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
}
