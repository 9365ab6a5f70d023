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
import io.piddm.physics.residual.ResidualSpecs;
import io.piddm.physics.task.DownstreamTask;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The no-model baseline makes progress on the determined downstream tasks of solver fields. */
class DataSpaceOptimisationTest {

  private static final DownstreamTask.SparsePoints POINTS = new DownstreamTask.SparsePoints(0.1, 3);

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
            ResidualSpecs.training(Pde.DARCY),
            normalization,
            weights,
            new DataSpaceOptimisation.Settings(1, 0.05),
            POINTS,
            2,
            dir.resolve("one"));
    List<ModelEvaluation.TaskReport> optimised =
        ModelEvaluation.dataSpaceTasks(
            reference,
            ResidualSpecs.training(Pde.DARCY),
            normalization,
            weights,
            new DataSpaceOptimisation.Settings(300, 0.05),
            POINTS,
            2,
            dir.resolve("many"));

    assertThat(optimised)
        .extracting(t -> t.method() + "/" + t.task() + "/" + t.estimated())
        .containsExactly(
            "data-space/forward+bc/u",
            "data-space/inverse/a",
            "data-space/sparse/a",
            "data-space/sparse/u");
    // The determined tasks improve; with 10 % of points the residual alone cannot place the
    // unobserved coefficient (no prior), so the sparse rows are only required to be measured.
    for (int t = 0; t < 2; t++) {
      assertThat(optimised.get(t).relativeL2Mean())
          .as(optimised.get(t).task())
          .isFinite()
          .isLessThan(start.get(t).relativeL2Mean());
    }
    assertThat(optimised.subList(2, 4))
        .allSatisfy(t -> assertThat(t.relativeL2Mean()).isFinite().isPositive());
    assertThat(optimised.get(1).errorRateMean()).isBetween(0.0, 1.0);
    assertThat(optimised.get(2).errorRateMean()).isBetween(0.0, 1.0);
    assertThat(optimised.get(3).errorRateMean()).isNull();
    assertThat(dir.resolve("many").resolve("data-space-inverse.png")).isNotEmptyFile();
  }
}
