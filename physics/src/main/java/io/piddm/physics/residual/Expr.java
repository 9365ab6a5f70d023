package io.piddm.physics.residual;

/**
 * A residual written once as a small expression over the joint field's channels, which every
 * evaluator interprets: plain Java arrays here (float64 metrics), DJL NDArrays for the training
 * loss and ONNX nodes for the reconstruction graph, all through {@link ExprInterpreter}. Only these
 * node types exist, so a backend is a handful of operations and a new PDE needs no new evaluator
 * code.
 *
 * <p>{@link Shift} reads a neighbour: at node (i, j) it yields its operand at (i + rows, j + cols).
 * Evaluators compute the expression on the nodes that a spec evaluates (the interior minus the
 * crop), so every shifted read stays on the grid.
 */
public sealed interface Expr {

  /** Channel c of the joint field (0 = a, 1 = u for the elliptic PDEs). */
  record Channel(int index) implements Expr {}

  record Constant(double value) implements Expr {}

  record Shift(Expr operand, int rows, int cols) implements Expr {}

  record Add(Expr left, Expr right) implements Expr {}

  record Subtract(Expr left, Expr right) implements Expr {}

  record Multiply(Expr left, Expr right) implements Expr {}

  record Divide(Expr left, Expr right) implements Expr {}

  static Expr channel(int index) {
    return new Channel(index);
  }

  static Expr constant(double value) {
    return new Constant(value);
  }

  default Expr shift(int rows, int cols) {
    return new Shift(this, rows, cols);
  }

  default Expr plus(Expr other) {
    return new Add(this, other);
  }

  default Expr minus(Expr other) {
    return new Subtract(this, other);
  }

  default Expr times(Expr other) {
    return new Multiply(this, other);
  }

  default Expr times(double factor) {
    return new Multiply(this, new Constant(factor));
  }

  default Expr dividedBy(Expr other) {
    return new Divide(this, other);
  }

  /**
   * How far from a node the expression reads (Chebyshev distance of its farthest channel read), for
   * crop checks: the interpreter run on offsets instead of values.
   */
  default int reach() {
    return ExprInterpreter.evaluate(this, Reach.BACKEND, 0, 0, 1, 1);
  }

  /** The backend behind {@link #reach}: a channel read's value is its distance from the node. */
  final class Reach implements ExprInterpreter.Backend<Integer> {
    static final Reach BACKEND = new Reach();

    private Reach() {}

    @Override
    public Integer channel(int index, int row0, int col0, int rows, int cols) {
      return Math.max(Math.abs(row0), Math.abs(col0));
    }

    @Override
    public Integer constant(double value) {
      return 0;
    }

    @Override
    public Integer apply(ExprInterpreter.Op op, Integer left, Integer right) {
      return Math.max(left, right);
    }
  }
}
