package io.piddm.inference;

/**
 * Limited-memory BFGS on the noises of a batch of ensemble members, driven one evaluation at a
 * time: each call of {@link #next} takes the loss and gradient at the points just evaluated (one
 * batched run of {@code reconstruct.onnx} for all members) and writes the points to evaluate next.
 * Every member keeps its own history, step length and accepted point, so one batch serves members
 * that are at different stages of their line searches.
 *
 * <p>A step along the quasi-Newton direction p is accepted when it lowers the loss by the Armijo
 * condition f(x + αp) ≤ f(x) + 10⁻⁴ α ∇f·p; otherwise α is halved and the point evaluated again.
 * The accepted point is always the best one a member has evaluated, so {@link #accepted} is what a
 * reconstruction returns. The first direction, and any after a failed line search, is the steepest
 * descent scaled so that its rms per entry is {@code firstStep} (Adam's first step moves every
 * entry by its learning rate; the same number means the same first move). Why: the loss weights of
 * the tasks span eight decades (λ_obs 1e-6 to λ_pde 100), and Adam needs a learning rate tuned for
 * each, while L-BFGS scales its steps from the curvature it measures.
 */
final class Lbfgs {

  private static final int MEMORY = 10;
  private static final double ARMIJO = 1e-4;
  private static final int MAX_HALVINGS = 8;

  private final int members;
  private final int dim;
  private final double firstStep;
  private final Member[] state;

  Lbfgs(int members, int dim, double firstStep) {
    if (!(firstStep > 0)) {
      throw new IllegalArgumentException("L-BFGS first step must be > 0, got " + firstStep);
    }
    this.members = members;
    this.dim = dim;
    this.firstStep = firstStep;
    this.state = new Member[members];
    for (int m = 0; m < members; m++) {
      state[m] = new Member();
    }
  }

  /**
   * Takes the losses and gradients at {@code points} [members × dim] (the points last written) and
   * overwrites {@code points} with those to evaluate next.
   */
  void next(float[] points, double[] loss, float[] gradient) {
    for (int m = 0; m < members; m++) {
      state[m].next(points, m * dim, loss[m], gradient);
    }
  }

  /** Whether member {@code m}'s last evaluated point is its accepted (best) one. */
  boolean lastWasAccepted(int m) {
    return state[m].lastAccepted;
  }

  /** Member {@code m}'s accepted point, copied into {@code into} at {@code m × dim}. */
  void accepted(int m, float[] into) {
    Member s = state[m];
    for (int k = 0; k < dim; k++) {
      into[m * dim + k] = (float) s.x[k];
    }
  }

  private final class Member {
    double[] x;
    double fx;
    double[] gx;
    final double[][] s = new double[MEMORY][];
    final double[][] y = new double[MEMORY][];
    final double[] rho = new double[MEMORY];
    int stored;
    int newest = -1;
    double[] direction;
    double slope;
    double alpha;
    int halvings;
    boolean lastAccepted;

    void next(float[] points, int offset, double f, float[] gradient) {
      if (x == null) {
        accept(points, offset, f, gradient);
      } else if (Double.isFinite(f) && f <= fx + ARMIJO * alpha * slope) {
        double[] previous = x;
        double[] previousGradient = gx;
        accept(points, offset, f, gradient);
        remember(previous, previousGradient);
      } else {
        lastAccepted = false;
        if (++halvings > MAX_HALVINGS) {
          // the direction does not descend at any length tried: forget the curvature
          stored = 0;
          newest = -1;
          steepest();
        } else {
          alpha /= 2;
        }
        writeTrial(points, offset);
        return;
      }
      quasiNewton();
      writeTrial(points, offset);
    }

    private void accept(float[] points, int offset, double f, float[] gradient) {
      x = new double[dim];
      gx = new double[dim];
      for (int k = 0; k < dim; k++) {
        x[k] = points[offset + k];
        gx[k] = gradient[offset + k];
      }
      fx = f;
      lastAccepted = true;
    }

    private void remember(double[] previous, double[] previousGradient) {
      double[] sk = new double[dim];
      double[] yk = new double[dim];
      double sy = 0;
      double yy = 0;
      for (int k = 0; k < dim; k++) {
        sk[k] = x[k] - previous[k];
        yk[k] = gx[k] - previousGradient[k];
        sy += sk[k] * yk[k];
        yy += yk[k] * yk[k];
      }
      // only pairs of positive curvature keep the inverse Hessian estimate positive definite
      if (!(sy > 1e-12 * Math.sqrt(yy) * norm(sk))) {
        return;
      }
      newest = (newest + 1) % MEMORY;
      s[newest] = sk;
      y[newest] = yk;
      rho[newest] = 1 / sy;
      stored = Math.min(stored + 1, MEMORY);
    }

    /** p = −H∇f by the two-loop recursion; the steepest descent while nothing is stored. */
    private void quasiNewton() {
      if (stored == 0) {
        steepest();
        return;
      }
      double[] q = gx.clone();
      double[] a = new double[MEMORY];
      for (int i = 0; i < stored; i++) {
        int j = Math.floorMod(newest - i, MEMORY);
        a[j] = rho[j] * dot(s[j], q);
        axpy(-a[j], y[j], q);
      }
      double gamma = 1 / (rho[newest] * dot(y[newest], y[newest]));
      for (int k = 0; k < dim; k++) {
        q[k] *= gamma;
      }
      for (int i = stored - 1; i >= 0; i--) {
        int j = Math.floorMod(newest - i, MEMORY);
        double b = rho[j] * dot(y[j], q);
        axpy(a[j] - b, s[j], q);
      }
      for (int k = 0; k < dim; k++) {
        q[k] = -q[k];
      }
      double descent = dot(gx, q);
      if (!(descent < 0)) {
        stored = 0;
        newest = -1;
        steepest();
        return;
      }
      direction = q;
      slope = descent;
      alpha = 1;
      halvings = 0;
    }

    private void steepest() {
      double rms = norm(gx) / Math.sqrt(dim);
      direction = new double[dim];
      double scale = rms > 0 ? firstStep / rms : 0;
      for (int k = 0; k < dim; k++) {
        direction[k] = -scale * gx[k];
      }
      slope = dot(gx, direction);
      alpha = 1;
      halvings = 0;
    }

    private void writeTrial(float[] points, int offset) {
      for (int k = 0; k < dim; k++) {
        points[offset + k] = (float) (x[k] + alpha * direction[k]);
      }
    }
  }

  private static double dot(double[] a, double[] b) {
    double sum = 0;
    for (int k = 0; k < a.length; k++) {
      sum += a[k] * b[k];
    }
    return sum;
  }

  private static double norm(double[] a) {
    return Math.sqrt(dot(a, a));
  }

  private static void axpy(double a, double[] x, double[] y) {
    for (int k = 0; k < x.length; k++) {
      y[k] += a * x[k];
    }
  }
}
