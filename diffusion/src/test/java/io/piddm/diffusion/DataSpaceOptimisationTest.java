package io.piddm.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import io.piddm.diffusion.edm.GuidedSampler;
import io.piddm.diffusion.edm.Normalization;
import io.piddm.diffusion.eval.DataSpaceOptimisation;
import io.piddm.diffusion.eval.ModelEvaluation;
import io.piddm.physics.dataset.DatasetGenerator;
import io.piddm.physics.dataset.DatasetSidecar;
import io.piddm.physics.dataset.DatasetSpec;
import io.piddm.physics.pde.Pde;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The no-model baseline makes progress on both downstream tasks of solver fields. */
class DataSpaceOptimisationTest {

  @TempDir Path dir;

  @Test
  void moreAdamStepsOnTheFieldValuesGiveSmallerErrors() throws Exception {
    Path reference = dir.resolve("reference");
    DatasetSidecar sidecar =
        new DatasetGenerator(new DatasetSpec(Pde.DARCY, 16, 2, 5), 1).generate(reference, n -> {});
    Normalization normalization = Normalization.forNetwork(sidecar);
    GuidedSampler.Settings weights = GuidedSampler.Settings.standard();

    List<ModelEvaluation.TaskReport> start =
        ModelEvaluation.dataSpaceTasks(
            reference,
            normalization,
            weights,
            new DataSpaceOptimisation.Settings(1, 0.05),
            2,
            dir.resolve("one"));
    List<ModelEvaluation.TaskReport> optimised =
        ModelEvaluation.dataSpaceTasks(
            reference,
            normalization,
            weights,
            new DataSpaceOptimisation.Settings(300, 0.05),
            2,
            dir.resolve("many"));

    assertThat(optimised)
        .extracting(t -> t.method() + "/" + t.task() + "/" + t.estimated())
        .containsExactly("data-space/forward/u", "data-space/inverse/a");
    for (int t = 0; t < 2; t++) {
      assertThat(optimised.get(t).relativeL2Mean())
          .as(optimised.get(t).task())
          .isFinite()
          .isLessThan(start.get(t).relativeL2Mean());
    }
    assertThat(optimised.get(1).errorRateMean()).isBetween(0.0, 1.0);
    assertThat(dir.resolve("many").resolve("data-space-inverse.png")).isNotEmptyFile();
  }
}
