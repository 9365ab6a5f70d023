package io.piddm.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * L-BFGS driven one batched evaluation at a time, as {@link Reconstruction} drives it: members at
 * different stages share each evaluation, and each ends on its best point.
 */
class LbfgsTest {

  /** f(x) = Σ c_k (x_k − t_k)² with curvatures over two decades. */
  private static double quadratic(float[] x, int offset, int dim, float[] gradient, double shift) {
    double f = 0;
    for (int k = 0; k < dim; k++) {
      double c = Math.pow(10, 2.0 * k / (dim - 1));
      double e = x[offset + k] - (shift + k * 0.1);
      f += c * e * e;
      gradient[offset + k] = (float) (2 * c * e);
    }
    return f;
  }

  /** Rosenbrock's valley in two dimensions, minimum 0 at (1, 1). */
  private static double rosenbrock(float[] x, int offset, float[] gradient) {
    double a = x[offset];
    double b = x[offset + 1];
    gradient[offset] = (float) (-2 * (1 - a) - 400 * a * (b - a * a));
    gradient[offset + 1] = (float) (200 * (b - a * a));
    return (1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a);
  }

  @Test
  void twoMembersMinimiseTheirOwnIllConditionedQuadraticsInOneBatchOfEvaluations() {
    int dim = 12;
    float[] x = new float[2 * dim];
    float[] gradient = new float[2 * dim];
    double[] loss = new double[2];
    Lbfgs lbfgs = new Lbfgs(2, dim, 0.05);
    double start = 0;
    for (int evaluation = 0; evaluation <= 60; evaluation++) {
      loss[0] = quadratic(x, 0, dim, gradient, 0.5);
      loss[1] = quadratic(x, dim, dim, gradient, -1);
      if (evaluation == 0) {
        start = Math.min(loss[0], loss[1]);
      }
      lbfgs.next(x, loss, gradient);
    }
    float[] best = new float[2 * dim];
    lbfgs.accepted(0, best);
    lbfgs.accepted(1, best);
    double[] end = {
      quadratic(best, 0, dim, new float[2 * dim], 0.5),
      quadratic(best, dim, dim, new float[2 * dim], -1)
    };
    assertThat(end[0]).isLessThan(1e-8 * start);
    assertThat(end[1]).isLessThan(1e-8 * start);
    assertThat(best[dim - 1]).isCloseTo(0.5f + 1.1f, within(1e-3f));
    assertThat(best[2 * dim - 1]).isCloseTo(-1f + 1.1f, within(1e-3f));
  }

  @Test
  void rejectedTrialsNeverReplaceTheAcceptedPointAndTheValleyIsFollowedToItsMinimum() {
    float[] x = {-1.2f, 1f};
    float[] gradient = new float[2];
    Lbfgs lbfgs = new Lbfgs(1, 2, 0.1);
    double best = Double.POSITIVE_INFINITY;
    int rejected = 0;
    for (int evaluation = 0; evaluation <= 200; evaluation++) {
      double f = rosenbrock(x, 0, gradient);
      lbfgs.next(x, new double[] {f}, gradient);
      if (lbfgs.lastWasAccepted(0)) {
        assertThat(f).as("an accepted point is the best so far").isLessThanOrEqualTo(best);
        best = f;
      } else {
        rejected++;
      }
    }
    float[] end = new float[2];
    lbfgs.accepted(0, end);
    assertThat(rejected).as("the line search had to backtrack").isPositive();
    assertThat(end[0]).isCloseTo(1f, within(1e-3f));
    assertThat(end[1]).isCloseTo(1f, within(2e-3f));
  }

  @Test
  void aNonFiniteTrialIsRejectedAndTheStepShortened() {
    float[] x = {3f};
    float[] gradient = new float[1];
    Lbfgs lbfgs = new Lbfgs(1, 1, 1000);
    // f = x² near the start, undefined (∞) beyond |x| > 10: the first step (1000) overshoots
    for (int evaluation = 0; evaluation < 40; evaluation++) {
      double f = Math.abs(x[0]) > 10 ? Double.POSITIVE_INFINITY : x[0] * x[0];
      gradient[0] = 2 * x[0];
      lbfgs.next(x, new double[] {f}, gradient);
    }
    float[] end = new float[1];
    lbfgs.accepted(0, end);
    assertThat(end[0]).isCloseTo(0f, within(1e-4f));
  }
}
