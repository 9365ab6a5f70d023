package io.piddm.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import io.piddm.diffusion.eval.SampleEvaluation;
import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.pde.SampleGenerator;
import io.piddm.physics.residual.ResidualSpecs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ground truth judged against a held-out set: residual at solver precision, small MMSE/SMSE. */
class SampleEvaluationTest {

  private static List<List<Field>> generate(long seed, int count, Grid grid) {
    return generate(Pde.DARCY, seed, count, grid);
  }

  private static List<List<Field>> generate(Pde pde, long seed, int count, Grid grid) {
    SampleGenerator generator = SampleGenerator.standard(pde, grid);
    List<List<Field>> out = new ArrayList<>();
    for (int n = 0; n < count; n++) {
      out.add(generator.sample(seed, n).channels());
    }
    return out;
  }

  @Test
  void groundTruthScoresLikeGroundTruth(@TempDir Path dir) throws Exception {
    Grid grid = new Grid(16);
    List<List<Field>> solver = generate(1, 40, grid);
    List<List<Field>> heldOut = generate(2, 40, grid);
    SampleEvaluation.Report truth =
        SampleEvaluation.evaluate(
            "ground-truth", ResidualSpecs.training(Pde.DARCY), grid, solver, heldOut, 1, 0, 0.001);
    assertThat(truth.pdeErrorRelative().get("darcy/consistent-fv5-harmonic")).isLessThan(1e-8);
    assertThat(truth.pdeErrorRelative().get("darcy/published-central-flux")).isGreaterThan(1e-3);

    // Fields scrambled pixel-wise keep per-pixel statistics poorly and break the physics.
    List<List<Field>> noise = new ArrayList<>();
    java.util.Random random = new java.util.Random(3);
    for (List<Field> sample : solver) {
      List<Field> scrambled = new ArrayList<>();
      for (Field f : sample) {
        Field g = f.copy();
        for (int k = 0; k < g.values().length; k++) {
          g.values()[k] *= 1 + random.nextGaussian();
        }
        scrambled.add(g);
      }
      noise.add(scrambled);
    }
    SampleEvaluation.Report bad =
        SampleEvaluation.evaluate(
            "noise", ResidualSpecs.training(Pde.DARCY), grid, noise, heldOut, 1, 0, 0.001);
    assertThat(bad.pdeErrorRelative().get("darcy/consistent-fv5-harmonic")).isGreaterThan(1e-2);
    assertThat(bad.smse().get("u")).isGreaterThan(truth.smse().get("u"));

    SampleEvaluation.write(truth, Pde.DARCY, solver, dir);
    assertThat(dir.resolve("ground-truth.json")).exists();
    assertThat(dir.resolve("ground-truth.png")).exists();
  }

  /**
   * Every PDE's report is written, including the numbers that do not apply to it (NaN: Poisson and
   * Helmholtz have no thresholded consistency); a Poisson run once stopped here.
   */
  @Test
  void everyPdesReportIsWrittenWithTheNumbersThatDoNotApply(@TempDir Path dir) throws Exception {
    Grid grid = new Grid(16);
    for (Pde pde : List.of(Pde.POISSON, Pde.HELMHOLTZ, Pde.BURGERS)) {
      List<List<Field>> solver = generate(pde, 1, 6, grid);
      List<List<Field>> heldOut = generate(pde, 2, 6, grid);
      SampleEvaluation.Report report =
          SampleEvaluation.evaluate(
              pde.id(), ResidualSpecs.training(pde), grid, solver, heldOut, 1, 0, 0.001);
      SampleEvaluation.write(report, pde, solver, dir);
      String json = java.nio.file.Files.readString(dir.resolve(pde.id() + ".json"));
      if (pde != Pde.BURGERS) {
        assertThat(json).as(pde.id()).contains("NaN");
      }
    }
  }
}
