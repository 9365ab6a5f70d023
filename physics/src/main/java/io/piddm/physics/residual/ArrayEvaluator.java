package io.piddm.physics.residual;

import io.piddm.physics.grid.Check;
import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import java.util.List;

/**
 * Evaluates a residual expression on plain float64 arrays: the evaluator metrics use. The result
 * covers the nodes the spec evaluates, (S − 2·crop)², row-major.
 */
public final class ArrayEvaluator {

  private ArrayEvaluator() {}

  /** The residual of {@code spec} for the joint field {@code channels} (physical values). */
  public static Field residual(ResidualSpec spec, Grid grid, List<Field> channels) {
    return evaluate(spec.residual(grid), spec, grid, channels);
  }

  /** The source term f of {@code spec} on the same nodes as {@link #residual}. */
  public static Field source(ResidualSpec spec, Grid grid, List<Field> channels) {
    return evaluate(spec.source(grid), spec, grid, channels);
  }

  /**
   * The boundary rows of {@code spec} at the 4(S − 1) nodes of ∂Ω (bottom row, top row, then the
   * left and right columns without their corners), or an empty array when the spec has none.
   */
  public static double[] boundary(ResidualSpec spec, Grid grid, List<Field> channels) {
    return spec.hasBoundaryRows()
        ? onBoundary(spec.boundary(grid), spec, grid, channels)
        : new double[0];
  }

  /** The source term f at the same nodes as {@link #boundary}. */
  public static double[] boundarySource(ResidualSpec spec, Grid grid, List<Field> channels) {
    return spec.hasBoundaryRows()
        ? onBoundary(spec.source(grid), spec, grid, channels)
        : new double[0];
  }

  private static double[] onBoundary(
      Expr expr, ResidualSpec spec, Grid grid, List<Field> channels) {
    requireChannels(spec, grid, channels);
    int s = grid.size();
    List<Window> sides =
        List.of(
            new Window(channels, 0, 0, 1, s),
            new Window(channels, s - 1, 0, 1, s),
            new Window(channels, 1, 0, s - 2, 1),
            new Window(channels, 1, s - 1, s - 2, 1));
    double[] out = new double[4 * (s - 1)];
    int at = 0;
    for (Window side : sides) {
      double[] v = side.eval(expr);
      System.arraycopy(v, 0, out, at, v.length);
      at += v.length;
    }
    return out;
  }

  private static Field evaluate(Expr expr, ResidualSpec spec, Grid grid, List<Field> channels) {
    requireChannels(spec, grid, channels);
    int rows = spec.evaluatedRows(grid);
    int cols = spec.evaluatedColumns(grid);
    int col0 = spec.periodicColumns() ? 0 : spec.crop();
    double[] values = new Window(channels, spec.crop(), col0, rows, cols).eval(expr);
    return new Field(rows, cols, values);
  }

  private static void requireChannels(ResidualSpec spec, Grid grid, List<Field> channels) {
    if (channels.size() != spec.pde().channels().size()) {
      throw new IllegalArgumentException(
          "channels: "
              + spec.pde().id()
              + " fields have "
              + spec.pde().channels().size()
              + " channels "
              + spec.pde().channels()
              + ", got "
              + channels.size());
    }
    for (int c = 0; c < channels.size(); c++) {
      grid.requireOn("channel " + spec.pde().channels().get(c), channels.get(c));
      Check.finite("channel " + spec.pde().channels().get(c), channels.get(c));
    }
  }

  /** A rectangle of nodes starting at (row0, col0); shifts move it. */
  private record Window(List<Field> channels, int row0, int col0, int rows, int cols) {

    double[] eval(Expr expr) {
      if (expr instanceof Expr.Channel c) {
        Field field = channels.get(c.index());
        int width = field.cols();
        double[] out = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
          for (int j = 0; j < cols; j++) {
            // Columns wrap: only periodic specs read past an edge (the others crop enough).
            out[i * cols + j] = field.get(row0 + i, Math.floorMod(col0 + j, width));
          }
        }
        return out;
      }
      if (expr instanceof Expr.Constant c) {
        double[] out = new double[rows * cols];
        java.util.Arrays.fill(out, c.value());
        return out;
      }
      if (expr instanceof Expr.Shift s) {
        return new Window(channels, row0 + s.rows(), col0 + s.cols(), rows, cols).eval(s.operand());
      }
      if (expr instanceof Expr.Add e) {
        return combine(eval(e.left()), eval(e.right()), '+');
      }
      if (expr instanceof Expr.Subtract e) {
        return combine(eval(e.left()), eval(e.right()), '-');
      }
      if (expr instanceof Expr.Multiply e) {
        return combine(eval(e.left()), eval(e.right()), '*');
      }
      if (expr instanceof Expr.Divide e) {
        return combine(eval(e.left()), eval(e.right()), '/');
      }
      throw new IllegalArgumentException("unknown expression node " + expr);
    }

    private static double[] combine(double[] left, double[] right, char op) {
      for (int k = 0; k < left.length; k++) {
        left[k] =
            switch (op) {
              case '+' -> left[k] + right[k];
              case '-' -> left[k] - right[k];
              case '*' -> left[k] * right[k];
              default -> left[k] / right[k];
            };
      }
      return left;
    }
  }
}
