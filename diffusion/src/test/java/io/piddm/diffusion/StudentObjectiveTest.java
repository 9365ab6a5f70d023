package io.piddm.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.piddm.diffusion.distill.DistillSettings;
import io.piddm.diffusion.distill.PairBank;
import io.piddm.diffusion.distill.StudentObjective;
import io.piddm.diffusion.djl.DjlInverseLaplacian;
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
import io.piddm.physics.solve.DirichletLaplacian;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which channels the residual term's gradient reaches, how the solution term joins the loss, and
 * the regression term's two losses.
 */
class StudentObjectiveTest {

  private static final int SIZE = 16;
  private static final Shape SAMPLE = new Shape(2, SIZE, SIZE);

  @Test
  void withSolutionOnlyTheResidualTermPushesUAndLeavesTheCoefficientAlone() {
    float[][] full = residualGradient(1);
    float[][] solutionOnly = residualGradient(0);
    float[][] partial = residualGradient(0.3);
    assertThat(maxAbs(full[0])).as("full gradient reaches a").isGreaterThan(0);
    assertThat(maxAbs(full[1])).isGreaterThan(0);
    assertThat(maxAbs(solutionOnly[0])).as("solution only: nothing reaches a").isZero();
    // u's gradient is the same either way: a enters R with the same values
    assertThat(solutionOnly[1]).containsExactly(full[1]);
    // β = 0.3: three tenths of a's gradient, u's as before (a's values equal up to rounding)
    for (int k = 0; k < full[0].length; k++) {
      assertThat(partial[1][k]).isCloseTo(full[1][k], within((float) (1e-5 * maxAbs(full[1]))));
      assertThat(partial[0][k])
          .isCloseTo(0.3f * full[0][k], within((float) (1e-6 * maxAbs(full[0]))));
    }
  }

  @Test
  void theSolutionTermJoinsTheLossWeightedByMuUnderLambdaAndNeedsADirichletPde() {
    UNet net = new UNet(UNetSpec.tiny(2));
    Normalization normalization =
        new Normalization(List.of("a", "u"), new double[] {7.5, 0.02}, new double[] {9, 0.05});
    // μ large enough that λ·μ·solution stands far above the float32 rounding of the regression
    // term (~1.6e3 for the pairs of an untrained tiny network)
    DistillSettings settings = new DistillSettings(4, 2, 0, 0, 0.1, 4, 0, 0, false, 1e6);
    StudentObjective.SolutionTerm term =
        new StudentObjective.SolutionTerm(
            new DjlInverseLaplacian(DirichletLaplacian.interiorOf(new Grid(SIZE))), 1.0);
    try (NDManager manager = NDManager.newBaseManager()) {
      DjlParameters weights = DjlParameters.initialise(net, manager, 4);
      PairBank bank =
          new PairBank(new Edm(net, OutputConstraint.none()), weights, settings, SAMPLE, 8);
      bank.fill();
      // the same batch and output with μ = 1e6 and μ = 0: the losses differ by exactly λ·μ·solution
      double[] losses = new double[2];
      Map<String, Double> terms = null;
      for (int k = 0; k < 2; k++) {
        StudentObjective objective =
            darcyObjective(
                net,
                bank,
                normalization,
                k == 0 ? settings : new DistillSettings(4, 2, 0, 0, 0.1, 4, 0, 0, false, 0),
                term);
        objective.beforeStep(0);
        try (NDManager scope = manager.newSubManager()) {
          losses[k] = objective.loss(weights::get, scope, new java.util.Random(1)).getFloat();
        }
        if (k == 0) {
          terms = objective.lastTerms();
        }
      }
      assertThat(terms.get("solution")).isPositive();
      assertThat(losses[0] - losses[1])
          .isCloseTo(0.1 * 1e6 * terms.get("solution"), withinPercentage(1));
      assertThatThrownBy(() -> darcyObjective(net, bank, normalization, settings, null))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("solution weight of 1000000.0");
    }
  }

  @Test
  void thePseudoHuberRegressionIsAnAbsoluteErrorBeyondItsScaleAndTheSquaredErrorWithout() {
    DistillSettings squared = new DistillSettings(4, 2, 0, 0, 0.1, 4, 0, 0, false, 0);
    DistillSettings huber = new DistillSettings(4, 2, 0, 0, 0.1, 4, 0, 0, 1.0, 0, 0.01, false, 0);
    double[] d = {-2, -0.5, -0.001, 0, 0.004, 0.3, 1.5, 3};
    float[] values = new float[d.length];
    double meanSquare = 0;
    double meanHuber = 0;
    for (int k = 0; k < d.length; k++) {
      values[k] = (float) d[k];
      meanSquare += d[k] * d[k] / d.length;
      meanHuber += (Math.sqrt(d[k] * d[k] + 1e-4) - 0.01) / d.length;
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray difference = manager.create(values);
      difference.setRequiresGradient(true);
      assertThat(StudentObjective.regressionTerm(difference, squared).getFloat())
          .isCloseTo((float) meanSquare, withinPercentage(1e-4));
      NDArray loss;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        loss = StudentObjective.regressionTerm(difference, huber);
        collector.backward(loss);
      }
      assertThat(loss.getFloat()).isCloseTo((float) meanHuber, withinPercentage(1e-3));
      float[] gradient = difference.getGradient().toFloatArray();
      // far beyond c the pull is ±1/N whatever the size of the error; well inside it, d/(c·N)
      assertThat(gradient[0] * d.length).isCloseTo(-1f, withinPercentage(0.01));
      assertThat(gradient[7] * d.length).isCloseTo(1f, withinPercentage(0.01));
      assertThat(gradient[5] * d.length).isCloseTo(1f, withinPercentage(0.1));
      assertThat(gradient[2] * d.length).isCloseTo(-0.1f, withinPercentage(1));
      assertThat(gradient[3]).isZero();
    }
    assertThatThrownBy(() -> new DistillSettings(4, 2, 0, 0, 0.1, 4, 0, 0, 1.0, 0, -1, false, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pseudo-Huber scale -1.0");
  }

  @Test
  void theMarginalTermIsTheWassersteinDistanceOfEachChannelsValuesAndPullsEachPixelToItsRank() {
    // two samples [a, u] of 1×2 pixels: a with one pixel blurred to 7 where the pairs have 3 and
    // 12;
    // u with the same values as its targets in other pixels
    float[] outputs = {7, 3, 1, 2, /* sample 2 */ 3, 12, 5, 6};
    float[] targets = {12, 3, 1, 2, /* sample 2 */ 3, 12, 6, 5};
    Shape shape = new Shape(2, 2, 1, 2);
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray x = manager.create(outputs, shape);
      x.setRequiresGradient(true);
      NDArray term;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        term = StudentObjective.marginalTerm(x, manager.create(targets, shape));
        collector.backward(term);
      }
      // a: outputs sorted 3 3 7 12, targets 3 3 12 12 → (7 − 12)²; u: the same histogram → 0
      assertThat(term.getFloat()).isCloseTo(25f / 8, within(1e-5f));
      float[] gradient = x.getGradient().toFloatArray();
      // only the 7 is off its rank's value, and it is pulled towards 12; u's pixels differ from
      // their pairs but not from their ranks, so nothing pulls them
      assertThat(gradient[0]).isCloseTo(2 * (7 - 12) / 8f, within(1e-6f));
      for (int k : new int[] {1, 2, 3, 4, 5, 6, 7}) {
        assertThat(gradient[k]).as("pixel %d", k).isZero();
      }
    }
    assertThatThrownBy(() -> new DistillSettings(4, 2, 0, 0, 0.1, 4, 0, 0, 1.0, 0, 0, false, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("marginal weight -1.0");
  }

  /** ∂(residual term)/∂output for channels a and u of a random Darcy-like output. */
  private static float[][] residualGradient(double coefficientGradient) {
    UNet net = new UNet(UNetSpec.tiny(2));
    Normalization normalization =
        new Normalization(List.of("a", "u"), new double[] {7.5, 0.02}, new double[] {9, 0.05});
    DistillSettings settings =
        new DistillSettings(4, 2, 0, 0, 0.1, 4, 0, 0, coefficientGradient, 0, 0, false, 0);
    try (NDManager manager = NDManager.newBaseManager()) {
      PairBank bank =
          new PairBank(
              new Edm(net, OutputConstraint.none()),
              DjlParameters.initialise(net, manager, 4),
              settings,
              SAMPLE,
              8);
      StudentObjective objective = darcyObjective(net, bank, normalization, settings, null);
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

  /** The Darcy objective on a batch of 2, source rms 1, with or without the solution term. */
  private static StudentObjective darcyObjective(
      UNet net,
      PairBank bank,
      Normalization normalization,
      DistillSettings settings,
      StudentObjective.SolutionTerm term) {
    return new StudentObjective(
        new Student(net, OutputConstraint.none()),
        bank,
        normalization,
        ResidualSpecs.training(Pde.DARCY),
        new Grid(SIZE),
        SAMPLE,
        2,
        settings,
        1.0,
        term);
  }

  private static double maxAbs(float[] v) {
    double m = 0;
    for (float x : v) {
      m = Math.max(m, Math.abs(x));
    }
    return m;
  }
}
