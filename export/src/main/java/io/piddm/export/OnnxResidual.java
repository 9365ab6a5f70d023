package io.piddm.export;

import io.piddm.physics.grid.Grid;
import io.piddm.physics.residual.ExprInterpreter;
import io.piddm.physics.residual.ResidualSpec;

/**
 * Evaluates a {@link ResidualSpec}'s expression as ONNX nodes through {@link ExprInterpreter} and
 * {@link OnnxOps}' primitives (Slice for channels and shifts, Add, Sub, Mul, Div, scalar
 * constants), the same interpretation as {@code DjlResidual} and the metrics' {@code
 * ArrayEvaluator}, so the reconstruction graph differentiates exactly the residual the training
 * loss and the metrics use, and its backward pass comes from the primitives' rules. Input [N, C, S,
 * S] in physical units; output [N, 1, rows, cols] over the nodes the spec evaluates.
 */
public final class OnnxResidual implements ExprInterpreter.Backend<Sym> {

  private final OnnxOps ops;
  private final Sym fields;
  private final int margin;

  private OnnxResidual(OnnxOps ops, Sym fields, int margin) {
    this.ops = ops;
    this.margin = margin;
    if (margin == 0) {
      this.fields = fields;
    } else {
      // periodic columns: a copy padded by margin wrapped columns on both sides
      long width = fields.dim(3);
      Sym left = ops.slice(fields, new long[] {width - margin}, new long[] {width}, new long[] {3});
      Sym right = ops.slice(fields, new long[] {0}, new long[] {margin}, new long[] {3});
      this.fields = ops.concat(3, left, fields, right);
    }
  }

  public static Sym residual(OnnxOps ops, ResidualSpec spec, Grid grid, Sym fields) {
    spec.requireBatchShape(grid, fields.shape(), fields);
    Sym out =
        ExprInterpreter.evaluate(
            spec.residual(grid), spec, grid, new OnnxResidual(ops, fields, spec.wrapMargin()));
    if (out.rank() == 0) {
      throw new IllegalArgumentException(spec.id() + ": the residual reads no channel");
    }
    return out;
  }

  @Override
  public Sym channel(int index, int row0, int col0, int rows, int cols) {
    int c0 = col0 + margin;
    return ops.slice(
        fields,
        new long[] {index, row0, c0},
        new long[] {index + 1, row0 + rows, c0 + cols},
        new long[] {1, 2, 3});
  }

  @Override
  public Sym constant(double value) {
    return ops.graph().scalar(value);
  }

  @Override
  public Sym apply(ExprInterpreter.Op op, Sym left, Sym right) {
    return switch (op) {
      case ADD -> ops.add(left, right);
      case SUBTRACT -> ops.sub(left, right);
      case MULTIPLY -> ops.mul(left, right);
      case DIVIDE -> ops.div(left, right);
    };
  }
}
