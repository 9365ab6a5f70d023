package io.piddm.physics.solve;

/**
 * Nested-dissection ordering of an n_rows × n_cols grid graph (5-point couplings): split the longer
 * side by a middle line, order both halves recursively, the separator last. For an n×n grid this
 * keeps the Cholesky factor at O(n² log n) entries and O(n³) work, instead of the O(n⁴) of the
 * natural (banded) order. This is only an ordering; the factorisation is EJML's.
 */
final class NestedDissection {

  private NestedDissection() {}

  /** position[node] = the node's place in the elimination order; node = row * cols + col. */
  static int[] order(int rows, int cols) {
    int[] position = new int[rows * cols];
    int[] next = {0};
    dissect(0, rows, 0, cols, cols, position, next);
    return position;
  }

  private static void dissect(
      int r0, int r1, int c0, int c1, int cols, int[] position, int[] next) {
    int height = r1 - r0;
    int width = c1 - c0;
    if (height <= 0 || width <= 0) {
      return;
    }
    if (height <= 2 && width <= 2) {
      for (int r = r0; r < r1; r++) {
        for (int c = c0; c < c1; c++) {
          position[r * cols + c] = next[0]++;
        }
      }
      return;
    }
    if (height >= width) {
      int mid = r0 + height / 2;
      dissect(r0, mid, c0, c1, cols, position, next);
      dissect(mid + 1, r1, c0, c1, cols, position, next);
      for (int c = c0; c < c1; c++) {
        position[mid * cols + c] = next[0]++;
      }
    } else {
      int mid = c0 + width / 2;
      dissect(r0, r1, c0, mid, cols, position, next);
      dissect(r0, r1, mid + 1, c1, cols, position, next);
      for (int r = r0; r < r1; r++) {
        position[r * cols + mid] = next[0]++;
      }
    }
  }
}
