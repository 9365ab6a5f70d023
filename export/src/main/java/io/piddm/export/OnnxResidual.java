package io.piddm.export;

import io.piddm.physics.grid.Grid;
import io.piddm.physics.residual.Expr;
import io.piddm.physics.residual.ResidualSpec;
import java.util.HashMap;
import java.util.Map;

/**
 * Evaluates a {@link ResidualSpec}'s expression as ONNX nodes through {@link OnnxOps}' primitives
 * (Slice for channels and shifts, Add, Sub, Mul, Div, scalar constants), the same interpretation as
 * {@code DjlResidual}, so the reconstruction graph differentiates exactly the residual the training
 * loss and the metrics use, and its backward pass comes from the primitives' rules. Input [N, C, S,
 * S] in physical units; output [N, 1, rows, cols] over the nodes the spec evaluates. A
 * sub-expression read at the same offset is written once (a value shared by several terms).
 */
public final class OnnxResidual {

  private record Key(Expr expr, int row0, int col0) {}

  private final OnnxOps ops;
  private final Sym fields;
  private final int rows;
  private final int cols;
  private final Map<Key, Sym> memo = new HashMap<>();

  private OnnxResidual(OnnxOps ops, Sym fields, int rows, int cols) {
    this.ops = ops;
    this.fields = fields;
    this.rows = rows;
    this.cols = cols;
  }

  public static Sym residual(OnnxOps ops, ResidualSpec spec, Grid grid, Sym fields) {
    long[] shape = fields.shape();
    int channels = spec.pde().channels().size();
    if (shape.length != 4
        || shape[1] != channels
        || shape[2] != grid.size()
        || shape[3] != grid.size()) {
      throw new IllegalArgumentException(
          "fields: expected [N, "
              + channels
              + ", "
              + grid.size()
              + ", "
              + grid.size()
              + "], got "
              + fields);
    }
    int rows = spec.evaluatedRows(grid);
    int cols = spec.evaluatedColumns(grid);
    int col0 = spec.periodicColumns() ? 0 : spec.crop();
    Sym source = fields;
    int offset = 0;
    if (spec.periodicColumns()) {
      int margin = spec.crop() + 2;
      long width = shape[3];
      Sym left = ops.slice(fields, new long[] {width - margin}, new long[] {width}, new long[] {3});
      Sym right = ops.slice(fields, new long[] {0}, new long[] {margin}, new long[] {3});
      source = ops.concat(3, left, fields, right);
      offset = margin;
    }
    Sym out =
        new OnnxResidual(ops, source, rows, cols)
            .eval(spec.residual(grid), spec.crop(), col0 + offset);
    if (out.rank() == 0) {
      throw new IllegalArgumentException(spec.id() + ": the residual reads no channel");
    }
    return out;
  }

  private Sym eval(Expr expr, int row0, int col0) {
    Key key = new Key(expr, row0, col0);
    Sym done = memo.get(key);
    if (done != null) {
      return done;
    }
    Sym value;
    if (expr instanceof Expr.Channel c) {
      value =
          ops.slice(
              fields,
              new long[] {c.index(), row0, col0},
              new long[] {c.index() + 1, row0 + rows, col0 + cols},
              new long[] {1, 2, 3});
    } else if (expr instanceof Expr.Constant c) {
      value = ops.graph().scalar(c.value());
    } else if (expr instanceof Expr.Shift s) {
      value = eval(s.operand(), row0 + s.rows(), col0 + s.cols());
    } else if (expr instanceof Expr.Add e) {
      value = ops.add(eval(e.left(), row0, col0), eval(e.right(), row0, col0));
    } else if (expr instanceof Expr.Subtract e) {
      value = ops.sub(eval(e.left(), row0, col0), eval(e.right(), row0, col0));
    } else if (expr instanceof Expr.Multiply e) {
      value = ops.mul(eval(e.left(), row0, col0), eval(e.right(), row0, col0));
    } else if (expr instanceof Expr.Divide e) {
      value = ops.div(eval(e.left(), row0, col0), eval(e.right(), row0, col0));
    } else {
      throw new IllegalArgumentException("unknown expression node " + expr);
    }
    memo.put(key, value);
    return value;
  }
}
