package io.piddm.physics.grid;

import java.util.Arrays;

/**
 * A scalar field on a node grid: {@code rows × cols} float64 values, row-major. Row index i runs
 * along y (or t for Burgers), column index j along x.
 */
public final class Field {

  private final int rows;
  private final int cols;
  private final double[] values;

  public Field(int rows, int cols, double[] values) {
    Check.positive("rows", rows);
    Check.positive("cols", cols);
    if (values.length != rows * cols) {
      throw new IllegalArgumentException(
          "values: expected rows*cols = " + rows * cols + " entries, got " + values.length);
    }
    this.rows = rows;
    this.cols = cols;
    this.values = values;
  }

  public static Field zeros(int rows, int cols) {
    return new Field(rows, cols, new double[rows * cols]);
  }

  public int rows() {
    return rows;
  }

  public int cols() {
    return cols;
  }

  public double get(int i, int j) {
    return values[i * cols + j];
  }

  public void set(int i, int j, double value) {
    values[i * cols + j] = value;
  }

  /** The backing array (row-major); callers that change it change the field. */
  public double[] values() {
    return values;
  }

  public Field copy() {
    return new Field(rows, cols, values.clone());
  }

  public boolean sameShape(Field other) {
    return rows == other.rows && cols == other.cols;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Field f
        && f.rows == rows
        && f.cols == cols
        && Arrays.equals(f.values, values);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * rows + cols) + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return "Field[" + rows + "×" + cols + "]";
  }
}
