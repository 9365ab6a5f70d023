package io.piddm.diffusion.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.residual.Expr;
import io.piddm.physics.residual.ExprInterpreter;
import io.piddm.physics.residual.ResidualSpec;

/**
 * Evaluates a {@link ResidualSpec}'s expression on a batch of joint fields as NDArrays, so the
 * training loss and guidance differentiate exactly the residual the metrics report (one definition,
 * one interpreter, {@link ExprInterpreter}). Input [N, C, S, S] in physical units; output [N, rows,
 * cols] over the nodes the spec evaluates.
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
    spec.requireBatchShape(grid, shape, fields.getShape());
    NDArray out =
        ExprInterpreter.evaluate(expr, spec, grid, new Tensors(fields, spec.wrapMargin()));
    int rows = spec.evaluatedRows(grid);
    int cols = spec.evaluatedColumns(grid);
    return out.getShape().dimension() == 0 ? out.broadcast(new Shape(shape[0], rows, cols)) : out;
  }

  /**
   * NDArrays [N, rows, cols]; periodic specs read a copy padded by {@code margin} wrapped columns
   * on both sides. A constant is a scalar in the fields' precision (float64 fields get float64
   * constants).
   */
  private static final class Tensors implements ExprInterpreter.Backend<NDArray> {
    private final NDArray fields;
    private final int margin;

    Tensors(NDArray fields, int margin) {
      this.margin = margin;
      if (margin == 0) {
        this.fields = fields;
      } else {
        long width = fields.getShape().get(3);
        NDArray left = fields.get(new NDIndex(":, :, :, {}:", width - margin));
        NDArray right = fields.get(new NDIndex(":, :, :, :{}", margin));
        this.fields = left.concat(fields, 3).concat(right, 3);
      }
    }

    @Override
    public NDArray channel(int index, int row0, int col0, int rows, int cols) {
      int c0 = col0 + margin;
      return fields.get(
          new NDIndex(":, {}, {}:{}, {}:{}", index, row0, row0 + rows, c0, c0 + cols));
    }

    @Override
    public NDArray constant(double value) {
      return fields.getManager().create(value).toType(fields.getDataType(), false);
    }

    @Override
    public NDArray apply(ExprInterpreter.Op op, NDArray left, NDArray right) {
      return switch (op) {
        case ADD -> left.add(right);
        case SUBTRACT -> left.sub(right);
        case MULTIPLY -> left.mul(right);
        case DIVIDE -> left.div(right);
      };
    }
  }
}
