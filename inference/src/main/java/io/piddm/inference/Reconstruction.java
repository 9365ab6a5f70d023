package io.piddm.inference;

import ai.onnxruntime.OrtException;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * Adam on ε through {@code reconstruct.onnx}: every ensemble member (seeds seed, seed+1, … through
 * {@link StudentModel#noise}) runs in one batch. Each step reports, per member, the loss, the PDE
 * error of x_mix, the relative observation error of d(ε) on the observed entries and, every {@code
 * fieldEvery} steps, x_mix. With λ_obs = 0 and an empty mask it is PIDDM-ref; the ε-typicality
 * penalty {@code w (‖ε‖²/dim − 1)²} is added here (its gradient {@code 4 w (‖ε‖²/dim − 1) ε / dim}
 * is analytic). Adam: β₁ 0.9, β₂ 0.999, ε̂ 1e-8.
 */
public final class Reconstruction {

  /** How ε moves between two evaluations of {@code reconstruct.onnx}. */
  public enum Optimizer {
    /** Adam at the settings' learning rate: one step per evaluation. */
    ADAM,
    /**
     * L-BFGS with a backtracking line search ({@link Lbfgs}): an evaluation is either a step or a
     * trial of one, and each member ends on the best point it evaluated. The learning rate is the
     * rms per entry of its first (steepest-descent) step.
     */
    LBFGS
  }

  /**
   * Optimiser settings; {@code steps} counts evaluations of the graph. {@code fieldEvery} ≤ 0: no
   * intermediate fields. {@code lambdaSolution} weighs the reconstruction graph's solution term (0:
   * not used; > 0 needs a graph that has it).
   */
  public record Settings(
      int steps,
      double learningRate,
      double lambdaObs,
      double lambdaPde,
      double lambdaSolution,
      double typicalityWeight,
      int fieldEvery,
      Optimizer optimizer) {
    public Settings {
      if (steps < 0) {
        throw new IllegalArgumentException("steps must be >= 0, got " + steps);
      }
      for (double v :
          new double[] {learningRate, lambdaObs, lambdaPde, lambdaSolution, typicalityWeight}) {
        if (!Double.isFinite(v) || v < 0) {
          throw new IllegalArgumentException(
              "learning rate and weights must be finite and >= 0, got " + v);
        }
      }
      if (optimizer == null) {
        throw new IllegalArgumentException("an optimizer is required");
      }
    }

    /** Adam. */
    public Settings(
        int steps,
        double learningRate,
        double lambdaObs,
        double lambdaPde,
        double lambdaSolution,
        double typicalityWeight,
        int fieldEvery) {
      this(
          steps,
          learningRate,
          lambdaObs,
          lambdaPde,
          lambdaSolution,
          typicalityWeight,
          fieldEvery,
          Optimizer.ADAM);
    }

    /** Adam without the solution term. */
    public Settings(
        int steps,
        double learningRate,
        double lambdaObs,
        double lambdaPde,
        double typicalityWeight,
        int fieldEvery) {
      this(steps, learningRate, lambdaObs, lambdaPde, 0, typicalityWeight, fieldEvery);
    }
  }

  /** Called after each step's evaluation, member by member; {@code field} is null between k. */
  @FunctionalInterface
  public interface Listener {
    void onStep(
        int member, int step, double loss, double pdeError, double observationError, float[] field);
  }

  /**
   * The result: members' final x_mix [C,S,S] each, their mean and population standard deviation,
   * and the final noise.
   */
  public record Result(
      float[][] members,
      float[] mean,
      float[] spread,
      float[][] eps,
      double[] pdeError,
      double[] observationError,
      double meanPdeError,
      int steps) {}

  private static final double BETA1 = 0.9;
  private static final double BETA2 = 0.999;
  private static final double ADAM_EPS = 1e-8;

  private Reconstruction() {}

  /**
   * The optimisation stopped holding finite numbers: its settings (learning rate, weights) are too
   * large for the task. A caller's mistake, not a server fault, so it is not an
   * IllegalStateException.
   */
  public static final class DivergedException extends ArithmeticException {
    DivergedException(int step, String what) {
      super(
          "the reconstruction diverged at step "
              + step
              + ": "
              + what
              + " is no longer finite; lower learning_rate, lambda_obs or lambda_pde");
    }
  }

  /**
   * Runs {@code settings.steps()} Adam steps from the noise of {@code seed .. seed+members−1} and
   * evaluates the final state. {@code xObs} and {@code mask} are one field [C,S,S] each (shared by
   * the members). Throws {@link CancellationException} as soon as {@code cancelled} turns true.
   */
  public static Result run(
      StudentModel model,
      float[] xObs,
      float[] mask,
      long seed,
      int members,
      Settings settings,
      Listener listener,
      BooleanSupplier cancelled)
      throws OrtException {
    if (members < 1) {
      throw new IllegalArgumentException("members must be >= 1, got " + members);
    }
    int d = model.dim();
    float[] eps = new float[members * d];
    for (int m = 0; m < members; m++) {
      System.arraycopy(model.noise(seed + m, 1), 0, eps, m * d, d);
    }
    return optimise(model, eps, xObs, mask, members, settings, listener, cancelled);
  }

  /** As {@link #run} but from given noises [members, C, S, S] (updated in place). */
  public static Result optimise(
      StudentModel model,
      float[] eps,
      float[] xObs,
      float[] mask,
      int members,
      Settings settings,
      Listener listener,
      BooleanSupplier cancelled)
      throws OrtException {
    int d = model.dim();
    if (xObs.length != d || mask.length != d) {
      throw new IllegalArgumentException("observations and mask must hold " + d + " values each");
    }
    float[] obsBatch = tile(xObs, members);
    float[] maskBatch = tile(mask, members);
    double obsNorm = observedNorm(xObs, mask);
    boolean lbfgs = settings.optimizer() == Optimizer.LBFGS;
    Adam adam = lbfgs ? null : new Adam(eps.length, settings.learningRate());
    Lbfgs quasiNewton = lbfgs ? new Lbfgs(members, d, settings.learningRate()) : null;
    // each member's state as reported: with Adam the point just evaluated, with L-BFGS its best
    double[] loss = new double[members];
    double[] pde = new double[members];
    double[] obsErr = new double[members];
    double[] reportedLoss = new double[members];
    float[] fields = new float[members * d];
    for (int step = 0; step <= settings.steps(); step++) {
      if (cancelled.getAsBoolean()) {
        throw new CancellationException("reconstruction cancelled at step " + step);
      }
      StudentModel.Step s =
          model.reconstructStep(
              eps,
              obsBatch,
              maskBatch,
              settings.lambdaObs(),
              settings.lambdaPde(),
              settings.lambdaSolution(),
              members);
      // a trial of the line search may overshoot into non-finite numbers and is then rejected;
      // the start, and every Adam step, must be finite
      if (!lbfgs || step == 0) {
        requireFinite(s, step);
      }
      float[] decoded =
          obsNorm > 0 ? (s.decoded() != null ? s.decoded() : model.decode(eps, members)) : null;
      for (int m = 0; m < members; m++) {
        loss[m] = s.loss()[m];
        if (settings.typicalityWeight() > 0) {
          double t = typicality(eps, m, d);
          loss[m] += settings.typicalityWeight() * t * t;
          double g = 4 * settings.typicalityWeight() * t / d;
          for (int k = m * d; k < (m + 1) * d; k++) {
            s.gradEps()[k] += (float) (g * eps[k]);
          }
        }
      }
      boolean last = step == settings.steps();
      // the points just evaluated, kept where the run ends: next() overwrites eps with new trials
      float[] evaluated = lbfgs && last ? eps.clone() : null;
      if (lbfgs) {
        quasiNewton.next(eps, finiteOrInfinite(loss, s), s.gradEps());
      }
      boolean emitField =
          last || (settings.fieldEvery() > 0 && step > 0 && step % settings.fieldEvery() == 0);
      for (int m = 0; m < members; m++) {
        if (!lbfgs || quasiNewton.lastWasAccepted(m)) {
          reportedLoss[m] = loss[m];
          System.arraycopy(s.xMix(), m * d, fields, m * d, d);
          pde[m] = model.pdeError(s.xMix(), m).absolute();
          obsErr[m] = decoded == null ? 0 : observationError(decoded, m * d, xObs, mask, obsNorm);
        }
        if (listener != null) {
          float[] field = null;
          if (emitField) {
            field = new float[d];
            System.arraycopy(fields, m * d, field, 0, d);
          }
          listener.onStep(m, step, reportedLoss[m], pde[m], obsErr[m], field);
        }
      }
      if (last) {
        if (lbfgs) {
          // every member ends on its accepted point, not on a trial the line search rejected
          for (int m = 0; m < members; m++) {
            if (quasiNewton.lastWasAccepted(m)) {
              System.arraycopy(evaluated, m * d, eps, m * d, d);
            } else {
              quasiNewton.accepted(m, eps);
            }
          }
        }
        break;
      }
      if (!lbfgs) {
        adam.step(eps, s.gradEps(), step + 1);
      }
    }
    float[][] memberFields = new float[members][d];
    float[][] noises = new float[members][d];
    for (int m = 0; m < members; m++) {
      System.arraycopy(fields, m * d, memberFields[m], 0, d);
      System.arraycopy(eps, m * d, noises[m], 0, d);
    }
    float[] mean = new float[d];
    float[] spread = new float[d];
    for (int k = 0; k < d; k++) {
      double sum = 0;
      for (int m = 0; m < members; m++) {
        sum += memberFields[m][k];
      }
      double mu = sum / members;
      double var = 0;
      for (int m = 0; m < members; m++) {
        double e = memberFields[m][k] - mu;
        var += e * e;
      }
      mean[k] = (float) mu;
      spread[k] = (float) Math.sqrt(var / members);
    }
    double meanPde = model.pdeError(mean, 0).absolute();
    return new Result(memberFields, mean, spread, noises, pde, obsErr, meanPde, settings.steps());
  }

  /** Checked before anything reads the step: a NaN field must not reach the PDE error. */
  private static void requireFinite(StudentModel.Step s, int step) {
    for (double loss : s.loss()) {
      if (!Double.isFinite(loss)) {
        throw new DivergedException(step, "the loss");
      }
    }
    for (float v : s.xMix()) {
      if (!Float.isFinite(v)) {
        throw new DivergedException(step, "the field");
      }
    }
    for (float g : s.gradEps()) {
      if (!Float.isFinite(g)) {
        throw new DivergedException(step, "the gradient");
      }
    }
  }

  /** ‖ε_m‖²/dim − 1. */
  static double typicality(float[] eps, int m, int d) {
    double sum = 0;
    for (int k = m * d; k < (m + 1) * d; k++) {
      sum += (double) eps[k] * eps[k];
    }
    return sum / d - 1;
  }

  /** A member's loss where its field and gradient are finite, +∞ where not (a rejected trial). */
  private static double[] finiteOrInfinite(double[] loss, StudentModel.Step s) {
    double[] out = loss.clone();
    int d = s.xMix().length / loss.length;
    for (int m = 0; m < loss.length; m++) {
      boolean finite = Double.isFinite(out[m]);
      for (int k = m * d; finite && k < (m + 1) * d; k++) {
        finite = Float.isFinite(s.xMix()[k]) && Float.isFinite(s.gradEps()[k]);
      }
      if (!finite) {
        out[m] = Double.POSITIVE_INFINITY;
      }
    }
    return out;
  }

  /** Adam's moment estimates over every member's entries. */
  static final class Adam {
    private final double[] m1;
    private final double[] m2;
    private final double learningRate;

    Adam(int length, double learningRate) {
      this.m1 = new double[length];
      this.m2 = new double[length];
      this.learningRate = learningRate;
    }

    /** Step {@code t} (1-based) of x along the gradient g. */
    void step(float[] x, float[] g, int t) {
      double c1 = 1 - Math.pow(BETA1, t);
      double c2 = 1 - Math.pow(BETA2, t);
      for (int k = 0; k < x.length; k++) {
        m1[k] = BETA1 * m1[k] + (1 - BETA1) * g[k];
        m2[k] = BETA2 * m2[k] + (1 - BETA2) * g[k] * g[k];
        x[k] -= (float) (learningRate * (m1[k] / c1) / (Math.sqrt(m2[k] / c2) + ADAM_EPS));
      }
    }
  }

  private static float[] tile(float[] a, int n) {
    float[] out = new float[a.length * n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(a, 0, out, i * a.length, a.length);
    }
    return out;
  }

  private static double observedNorm(float[] xObs, float[] mask) {
    double sum = 0;
    for (int k = 0; k < xObs.length; k++) {
      double v = mask[k] * xObs[k];
      sum += v * v;
    }
    return Math.sqrt(sum);
  }

  /** ‖(d(ε) − x′)⊙M‖₂ / ‖x′⊙M‖₂. */
  static double observationError(
      float[] decoded, int offset, float[] xObs, float[] mask, double obsNorm) {
    double sum = 0;
    for (int k = 0; k < xObs.length; k++) {
      double e = mask[k] * (decoded[offset + k] - xObs[k]);
      sum += e * e;
    }
    return Math.sqrt(sum) / obsNorm;
  }
}
