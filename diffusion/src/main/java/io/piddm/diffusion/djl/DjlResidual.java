package io.piddm.diffusion.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.residual.Expr;
import io.piddm.physics.residual.ResidualSpec;

/**
 * Evaluates a {@link ResidualSpec}'s expression on a batch of joint fields as NDArrays, so the
 * training loss and guidance differentiate exactly the residual the metrics report (one definition,
 * several evaluators). Input [N, C, S, S] in physical units; output [N, rows, cols] over the nodes
 * the spec evaluates.
 */
public final class DjlResidual {

  private DjlResidual() {}

  public static NDArray residual(ResidualSpec spec, Grid grid, NDArray fields) {
    return evaluate(spec.residual(grid), spec, grid, fields);
  }

  public static NDArray source(ResidualSpec spec, Grid grid, NDArray fields) {
    return evaluate(spec.source(grid), spec, grid, fields);
  }

  private static NDArray evaluate(Expr expr, ResidualSpec spec, Grid grid, NDArray fields) {
    long[] shape = fields.getShape().getShape();
    if (shape.length != 4
        || shape[1] != spec.pde().channels().size()
        || shape[2] != grid.size()
        || shape[3] != grid.size()) {
      throw new IllegalArgumentException(
          "fields: expected [N, "
              + spec.pde().channels().size()
              + ", "
              + grid.size()
              + ", "
              + grid.size()
              + "], got "
              + fields.getShape());
    }
    int rows = spec.evaluatedRows(grid);
    int cols = spec.evaluatedColumns(grid);
    int col0 = spec.periodicColumns() ? 0 : spec.crop();
    NDArray source = spec.periodicColumns() ? wrapColumns(fields, spec.crop() + 2) : fields;
    int offset = spec.periodicColumns() ? spec.crop() + 2 : 0;
    NDArray out = new Window(source, spec.crop(), col0 + offset, rows, cols).eval(expr);
    return out.getShape().dimension() == 0
        ? out.broadcast(new ai.djl.ndarray.types.Shape(shape[0], rows, cols))
        : out;
  }

  /** Pads the column axis periodically by {@code margin} on both sides. */
  private static NDArray wrapColumns(NDArray fields, int margin) {
    long width = fields.getShape().get(3);
    NDArray left = fields.get(new NDIndex(":, :, :, {}:", width - margin));
    NDArray right = fields.get(new NDIndex(":, :, :, :{}", margin));
    return left.concat(fields, 3).concat(right, 3);
  }

  private record Window(NDArray fields, int row0, int col0, int rows, int cols) {

    NDArray eval(Expr expr) {
      if (expr instanceof Expr.Channel c) {
        return fields.get(
            new NDIndex(":, {}, {}:{}, {}:{}", c.index(), row0, row0 + rows, col0, col0 + cols));
      }
      if (expr instanceof Expr.Constant c) {
        // In the fields' precision: float64 fields get float64 constants.
        return fields.getManager().create(c.value()).toType(fields.getDataType(), false);
      }
      if (expr instanceof Expr.Shift s) {
        return new Window(fields, row0 + s.rows(), col0 + s.cols(), rows, cols).eval(s.operand());
      }
      if (expr instanceof Expr.Add e) {
        return eval(e.left()).add(eval(e.right()));
      }
      if (expr instanceof Expr.Subtract e) {
        return eval(e.left()).sub(eval(e.right()));
      }
      if (expr instanceof Expr.Multiply e) {
        return eval(e.left()).mul(eval(e.right()));
      }
      if (expr instanceof Expr.Divide e) {
        return eval(e.left()).div(eval(e.right()));
      }
      throw new IllegalArgumentException("unknown expression node " + expr);
    }
  }
}
