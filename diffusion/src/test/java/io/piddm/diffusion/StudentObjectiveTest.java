package io.piddm.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.piddm.diffusion.distill.DistillSettings;
import io.piddm.diffusion.distill.PairBank;
import io.piddm.diffusion.distill.StudentObjective;
import io.piddm.diffusion.djl.DjlParameters;
import io.piddm.diffusion.edm.Edm;
import io.piddm.diffusion.edm.Normalization;
import io.piddm.diffusion.net.OutputConstraint;
import io.piddm.diffusion.net.Student;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpecs;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which channels the residual term's gradient reaches. */
class StudentObjectiveTest {

  private static final int SIZE = 16;
  private static final Shape SAMPLE = new Shape(2, SIZE, SIZE);

  @Test
  void withSolutionOnlyTheResidualTermPushesUAndLeavesTheCoefficientAlone() {
    float[][] full = residualGradient(false);
    float[][] solutionOnly = residualGradient(true);
    assertThat(maxAbs(full[0])).as("full gradient reaches a").isGreaterThan(0);
    assertThat(maxAbs(full[1])).isGreaterThan(0);
    assertThat(maxAbs(solutionOnly[0])).as("solution only: nothing reaches a").isZero();
    // u's gradient is the same either way: a enters R with the same values
    assertThat(solutionOnly[1]).containsExactly(full[1]);
  }

  /** ∂(residual term)/∂output for channels a and u of a random Darcy-like output. */
  private static float[][] residualGradient(boolean solutionOnly) {
    UNet net = new UNet(UNetSpec.tiny(2));
    Normalization normalization =
        new Normalization(List.of("a", "u"), new double[] {7.5, 0.02}, new double[] {9, 0.05});
    DistillSettings settings = new DistillSettings(4, 2, 0, 0, 0.1, 4, 0, 0, solutionOnly);
    try (NDManager manager = NDManager.newBaseManager()) {
      PairBank bank =
          new PairBank(
              new Edm(net, OutputConstraint.none()),
              DjlParameters.initialise(net, manager, 4),
              settings,
              SAMPLE,
              8);
      StudentObjective objective =
          new StudentObjective(
              new Student(net, OutputConstraint.none()),
              bank,
              normalization,
              ResidualSpecs.training(Pde.DARCY),
              new Grid(SIZE),
              SAMPLE,
              2,
              settings,
              1.0,
              null);
      java.util.Random random = new java.util.Random(3);
      float[] values = new float[2 * 2 * SIZE * SIZE];
      for (int k = 0; k < values.length; k++) {
        values[k] = (float) (0.3 * random.nextGaussian());
      }
      NDArray output = manager.create(values, new Shape(2).addAll(SAMPLE));
      output.setRequiresGradient(true);
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        collector.backward(objective.residualTerm(output));
      }
      NDArray g = output.getGradient();
      return new float[][] {
        g.get(new NDIndex(":, 0")).toFloatArray(), g.get(new NDIndex(":, 1")).toFloatArray()
      };
    }
  }

  private static double maxAbs(float[] v) {
    double m = 0;
    for (float x : v) {
      m = Math.max(m, Math.abs(x));
    }
    return m;
  }
}
