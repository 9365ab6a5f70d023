package io.piddm.physics.solve;

import io.piddm.physics.grid.Check;
import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import org.ejml.data.DMatrixRMaj;
import org.ejml.data.DMatrixSparseCSC;
import org.ejml.data.DMatrixSparseTriplet;
import org.ejml.interfaces.linsol.LinearSolverSparse;
import org.ejml.ops.DConvertMatrixStruct;
import org.ejml.sparse.FillReducing;
import org.ejml.sparse.csc.factory.LinearSolverFactory_DSCC;

/**
 * Solves the conservative 5-point problem with homogeneous Dirichlet boundary values,
 *
 * <pre>
 *   −[k_E (u_E − u) − k_W (u − u_W) + k_N (u_N − u) − k_S (u − u_S)] / h² + c·u = f
 * </pre>
 *
 * on the interior nodes of an S×S grid, where k_E is the coefficient on the face between a node and
 * its east neighbour (and so on). Darcy, Poisson and Helmholtz are all this form. The matrix is
 * symmetric positive definite for positive face coefficients and c > −λ_min(−Δ_h); it is factorised
 * by EJML's sparse Cholesky in nested-dissection order. One instance is not thread-safe; the
 * symbolic factorisation is reused between solves of the same grid.
 */
public final class FivePointSolver {

  private final Grid grid;
  private final int n;
  private final int[] position;
  private final LinearSolverSparse<DMatrixSparseCSC, DMatrixRMaj> cholesky =
      LinearSolverFactory_DSCC.cholesky(FillReducing.NONE);
  private boolean analysed;

  public FivePointSolver(Grid grid) {
    this.grid = grid;
    this.n = grid.size() - 2;
    this.position = NestedDissection.order(n, n);
  }

  public Grid grid() {
    return grid;
  }

  /**
   * Solves for u given face coefficients and the reaction term.
   *
   * @param eastFace k on the face (i, j+½), stored at node (i, j); used for interior faces only
   * @param northFace k on the face (i+½, j), stored at node (i, j)
   * @param reaction c at each node (may be null for zero)
   * @param source f at each node
   */
  public Field solve(Field eastFace, Field northFace, Field reaction, Field source) {
    grid.requireOn("eastFace", eastFace);
    grid.requireOn("northFace", northFace);
    grid.requireOn("source", source);
    if (reaction != null) {
      grid.requireOn("reaction", reaction);
    }
    Check.finite("source", source);
    int s = grid.size();
    double inverseH2 = 1.0 / (grid.spacing() * grid.spacing());
    DMatrixSparseTriplet triplet = new DMatrixSparseTriplet(n * n, n * n, 5 * n * n);
    DMatrixRMaj rhs = new DMatrixRMaj(n * n, 1);
    for (int i = 1; i < s - 1; i++) {
      for (int j = 1; j < s - 1; j++) {
        int row = index(i, j);
        double kE = eastFace.get(i, j);
        double kW = eastFace.get(i, j - 1);
        double kN = northFace.get(i, j);
        double kS = northFace.get(i - 1, j);
        double diagonal =
            (kE + kW + kN + kS) * inverseH2 + (reaction == null ? 0 : reaction.get(i, j));
        triplet.addItem(row, row, diagonal);
        couple(triplet, row, i, j + 1, -kE * inverseH2);
        couple(triplet, row, i, j - 1, -kW * inverseH2);
        couple(triplet, row, i + 1, j, -kN * inverseH2);
        couple(triplet, row, i - 1, j, -kS * inverseH2);
        rhs.set(row, 0, source.get(i, j));
      }
    }
    DMatrixSparseCSC matrix = DConvertMatrixStruct.convert(triplet, (DMatrixSparseCSC) null);
    if (!cholesky.setA(matrix)) {
      throw new IllegalArgumentException(
          "the 5-point operator is not positive definite: check that face coefficients are"
              + " positive and the reaction term is not too negative");
    }
    if (!analysed) {
      cholesky.setStructureLocked(true);
      analysed = true;
    }
    DMatrixRMaj x = new DMatrixRMaj(n * n, 1);
    cholesky.solve(rhs, x);
    Field u = grid.zeros();
    for (int i = 1; i < s - 1; i++) {
      for (int j = 1; j < s - 1; j++) {
        u.set(i, j, x.get(index(i, j), 0));
      }
    }
    return u;
  }

  private void couple(DMatrixSparseTriplet triplet, int row, int i, int j, double value) {
    int s = grid.size();
    if (i <= 0 || j <= 0 || i >= s - 1 || j >= s - 1) {
      return; // boundary node: u = 0 there, nothing moves to the right-hand side
    }
    triplet.addItem(row, index(i, j), value);
  }

  private int index(int i, int j) {
    return position[(i - 1) * n + (j - 1)];
  }
}
