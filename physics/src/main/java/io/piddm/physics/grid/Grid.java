package io.piddm.physics.grid;

/**
 * An S×S node grid on the unit square with nodes on the boundary: x_j = j·h, y_i = i·h, h =
 * 1/(S−1). Grids smaller than 8 nodes a side are refused: stencils and crops need room.
 */
public record Grid(int size) {

  public static final int MIN_SIZE = 8;

  public Grid {
    Check.atLeast("resolution", size, MIN_SIZE);
  }

  public double spacing() {
    return 1.0 / (size - 1);
  }

  public double coordinate(int index) {
    return index * spacing();
  }

  public Field zeros() {
    return Field.zeros(size, size);
  }

  /** Throws unless {@code field} lives on this grid. */
  public void requireOn(String name, Field field) {
    if (field.rows() != size || field.cols() != size) {
      throw new IllegalArgumentException(
          name
              + " is "
              + field.rows()
              + "×"
              + field.cols()
              + " but the grid is "
              + size
              + "×"
              + size);
    }
  }
}
