package io.piddm.physics.residual;

import io.piddm.physics.grid.Grid;
import java.util.HashMap;
import java.util.Map;

/**
 * The one interpretation of an {@link Expr}: the fold over its seven node types, with shifts moving
 * the window of nodes a channel is read on, written here once. A backend — plain arrays for the
 * metrics, NDArrays for training, ONNX nodes for the reconstruction graph — supplies only the
 * tensor operations, so a new node type or boundary rule changes this class and one method per
 * backend. A sub-expression read at the same window is evaluated once and its value shared, so
 * backends must not modify the values they are given.
 *
 * @param <T> the backend's tensor type
 */
public final class ExprInterpreter<T> {

  /** The four arithmetic node types. */
  public enum Op {
    ADD,
    SUBTRACT,
    MULTIPLY,
    DIVIDE
  }

  /** What a backend provides: reading a channel on a window, a constant, the arithmetic. */
  public interface Backend<T> {

    /**
     * Channel {@code index} on rows [row0, row0 + rows) and columns [col0, col0 + cols). Columns
     * outside [0, S) occur only for periodic specs (within {@link ResidualSpec#wrapMargin}); they
     * wrap.
     */
    T channel(int index, int row0, int col0, int rows, int cols);

    T constant(double value);

    /** left op right, elementwise (a constant broadcasts). */
    T apply(Op op, T left, T right);
  }

  private record Key(Expr expr, int row0, int col0) {}

  private final Backend<T> backend;
  private final int rows;
  private final int cols;
  private final Map<Key, T> memo = new HashMap<>();

  private ExprInterpreter(Backend<T> backend, int rows, int cols) {
    this.backend = backend;
    this.rows = rows;
    this.cols = cols;
  }

  /** {@code expr} on the rows × cols nodes starting at (row0, col0). */
  public static <T> T evaluate(
      Expr expr, Backend<T> backend, int row0, int col0, int rows, int cols) {
    return new ExprInterpreter<>(backend, rows, cols).eval(expr, row0, col0);
  }

  /** {@code expr} on the nodes {@code spec} evaluates on {@code grid} (its interior minus crop). */
  public static <T> T evaluate(Expr expr, ResidualSpec spec, Grid grid, Backend<T> backend) {
    return evaluate(
        expr,
        backend,
        spec.crop(),
        spec.periodicColumns() ? 0 : spec.crop(),
        spec.evaluatedRows(grid),
        spec.evaluatedColumns(grid));
  }

  private T eval(Expr expr, int row0, int col0) {
    Key key = new Key(expr, row0, col0);
    T done = memo.get(key);
    if (done != null) {
      return done;
    }
    T value;
    if (expr instanceof Expr.Channel c) {
      value = backend.channel(c.index(), row0, col0, rows, cols);
    } else if (expr instanceof Expr.Constant c) {
      value = backend.constant(c.value());
    } else if (expr instanceof Expr.Shift s) {
      value = eval(s.operand(), row0 + s.rows(), col0 + s.cols());
    } else if (expr instanceof Expr.Add e) {
      value = binary(Op.ADD, e.left(), e.right(), row0, col0);
    } else if (expr instanceof Expr.Subtract e) {
      value = binary(Op.SUBTRACT, e.left(), e.right(), row0, col0);
    } else if (expr instanceof Expr.Multiply e) {
      value = binary(Op.MULTIPLY, e.left(), e.right(), row0, col0);
    } else if (expr instanceof Expr.Divide e) {
      value = binary(Op.DIVIDE, e.left(), e.right(), row0, col0);
    } else {
      throw new IllegalArgumentException("unknown expression node " + expr);
    }
    memo.put(key, value);
    return value;
  }

  private T binary(Op op, Expr left, Expr right, int row0, int col0) {
    return backend.apply(op, eval(left, row0, col0), eval(right, row0, col0));
  }
}
