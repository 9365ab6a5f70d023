package io.piddm.physics.residual;

/**
 * A residual written once as a small expression over the joint field's channels, which every
 * evaluator interprets: plain Java arrays here (float64 metrics), DJL NDArrays for the training
 * loss and ONNX nodes for the reconstruction graph later. Only these node types exist, so an
 * evaluator is a handful of rules and a new PDE needs no new evaluator code.
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

  /** How far from a node the expression reads, in rows or columns (for crop checks). */
  default int reach() {
    if (this instanceof Shift s) {
      return s.operand().reach() + Math.max(Math.abs(s.rows()), Math.abs(s.cols()));
    }
    if (this instanceof Add a) {
      return Math.max(a.left().reach(), a.right().reach());
    }
    if (this instanceof Subtract d) {
      return Math.max(d.left().reach(), d.right().reach());
    }
    if (this instanceof Multiply m) {
      return Math.max(m.left().reach(), m.right().reach());
    }
    if (this instanceof Divide q) {
      return Math.max(q.left().reach(), q.right().reach());
    }
    return 0;
  }
}
