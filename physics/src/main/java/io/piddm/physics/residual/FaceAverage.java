package io.piddm.physics.residual;

/**
 * How a coefficient on the face between two nodes is formed from the node values. The Darcy solver
 * and the Darcy residual both take it from here, so data and residual agree to solver precision.
 * Harmonic is the default: it is the flux-continuous choice for a piecewise-constant coefficient.
 */
public enum FaceAverage {
  HARMONIC {
    @Override
    public double apply(double left, double right) {
      return 2 * left * right / (left + right);
    }

    @Override
    public Expr apply(Expr left, Expr right) {
      return left.times(right).times(2).dividedBy(left.plus(right));
    }
  },
  ARITHMETIC {
    @Override
    public double apply(double left, double right) {
      return 0.5 * (left + right);
    }

    @Override
    public Expr apply(Expr left, Expr right) {
      return left.plus(right).times(0.5);
    }
  };

  public abstract double apply(double left, double right);

  public abstract Expr apply(Expr left, Expr right);
}
