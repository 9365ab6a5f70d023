package io.piddm.physics.residual;

import io.piddm.physics.grid.Check;
import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import java.util.List;

/**
 * Evaluates a residual expression on plain float64 arrays through {@link ExprInterpreter}: the
 * evaluator metrics use. The result covers the nodes the spec evaluates, (S − 2·crop)², row-major.
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
    // bottom row, top row, then the left and right columns without their corners
    int[][] sides = {{0, 0, 1, s}, {s - 1, 0, 1, s}, {1, 0, s - 2, 1}, {1, s - 1, s - 2, 1}};
    Arrays backend = new Arrays(channels);
    double[] out = new double[4 * (s - 1)];
    int at = 0;
    for (int[] side : sides) {
      double[] v =
          covering(
              ExprInterpreter.evaluate(expr, backend, side[0], side[1], side[2], side[3]),
              side[2] * side[3]);
      System.arraycopy(v, 0, out, at, v.length);
      at += v.length;
    }
    return out;
  }

  private static Field evaluate(Expr expr, ResidualSpec spec, Grid grid, List<Field> channels) {
    requireChannels(spec, grid, channels);
    int rows = spec.evaluatedRows(grid);
    int cols = spec.evaluatedColumns(grid);
    double[] values = ExprInterpreter.evaluate(expr, spec, grid, new Arrays(channels));
    return new Field(rows, cols, covering(values, rows * cols));
  }

  /** A constant expression's one value spread over the n nodes; anything else as it is. */
  private static double[] covering(double[] values, int n) {
    if (values.length == n) {
      return values;
    }
    double[] out = new double[n];
    java.util.Arrays.fill(out, values[0]);
    return out;
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

  /**
   * float64 arrays, row-major over the window; a constant is a one-element array that the
   * arithmetic broadcasts. New arrays every time: the interpreter shares values.
   */
  private record Arrays(List<Field> channels) implements ExprInterpreter.Backend<double[]> {

    @Override
    public double[] channel(int index, int row0, int col0, int rows, int cols) {
      Field field = channels.get(index);
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

    @Override
    public double[] constant(double value) {
      return new double[] {value};
    }

    @Override
    public double[] apply(ExprInterpreter.Op op, double[] left, double[] right) {
      int n = Math.max(left.length, right.length);
      double[] out = new double[n];
      for (int k = 0; k < n; k++) {
        double x = left[left.length == 1 ? 0 : k];
        double y = right[right.length == 1 ? 0 : k];
        out[k] =
            switch (op) {
              case ADD -> x + y;
              case SUBTRACT -> x - y;
              case MULTIPLY -> x * y;
              case DIVIDE -> x / y;
            };
      }
      return out;
    }
  }
}
