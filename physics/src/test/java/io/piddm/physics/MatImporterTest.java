package io.piddm.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.piddm.physics.dataset.DatasetSidecar;
import io.piddm.physics.dataset.DatasetWriter;
import io.piddm.physics.dataset.MatImporter;
import io.piddm.physics.pde.Pde;
import java.nio.file.Path;
import java.util.Map;
import org.jetbrains.bio.npy.NpyFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Import of MATLAB v7.3 (HDF5) files written here with jhdf in MATLAB's column-major layout. */
class MatImporterTest {

  /** value(n, i, j) = 1000 n + 10 i + j (+ 0.5 for the u channel). */
  private static double value(int n, int i, int j, double offset) {
    return 1000 * n + 10 * i + j + offset;
  }

  /** An N×S×S MATLAB array as HDF5 sees it: dims [S][S][N], element [j][i][n]. */
  private static double[][][] matlab(int count, int s, double offset) {
    double[][][] a = new double[s][s][count];
    for (int n = 0; n < count; n++) {
      for (int i = 0; i < s; i++) {
        for (int j = 0; j < s; j++) {
          a[j][i][n] = value(n, i, j, offset);
        }
      }
    }
    return a;
  }

  @Test
  void importsMatlabLayoutIntoRowMajorSamples(@TempDir Path dir) throws Exception {
    Path mat = dir.resolve("darcy.mat");
    try (WritableHdfFile file = HdfFile.write(mat)) {
      file.putDataset("coeff", matlab(3, 9, 0));
      file.putDataset("sol", matlab(3, 9, 0.5));
    }
    Path out = dir.resolve("out");
    DatasetSidecar sidecar =
        MatImporter.importFile(mat, Pde.DARCY, Map.of(), MatImporter.Layout.MATLAB, out);

    assertThat(sidecar.shape()).containsExactly(3, 2, 9, 9);
    assertThat(sidecar.source()).isEqualTo("imported:darcy.mat");
    float[] data =
        NpyFile.read(out.resolve(DatasetWriter.FIELDS), Integer.MAX_VALUE).asFloatArray();
    // sample 2, channel u, row 3, column 7
    assertThat(data[((2 * 2 + 1) * 9 + 3) * 9 + 7]).isEqualTo((float) value(2, 3, 7, 0.5));
    assertThat(data[((1 * 2) * 9 + 8) * 9 + 0]).isEqualTo((float) value(1, 8, 0, 0));
  }

  @Test
  void missingKeysAndBadShapesAreNamed(@TempDir Path dir) throws Exception {
    Path mat = dir.resolve("bad.mat");
    try (WritableHdfFile file = HdfFile.write(mat)) {
      file.putDataset("coeff", matlab(2, 9, 0));
      file.putDataset("flat", new double[] {1, 2, 3});
    }
    assertThatThrownBy(
            () ->
                MatImporter.importFile(
                    mat, Pde.DARCY, Map.of(), MatImporter.Layout.MATLAB, dir.resolve("o")))
        .hasMessageContaining("'sol'")
        .hasMessageContaining("coeff");
    assertThatThrownBy(
            () ->
                MatImporter.importFile(
                    mat,
                    Pde.DARCY,
                    Map.of("u", "flat"),
                    MatImporter.Layout.MATLAB,
                    dir.resolve("o")))
        .hasMessageContaining("'flat'")
        .hasMessageContaining("3 dimensions");
    assertThatThrownBy(
            () ->
                MatImporter.importFile(
                    dir.resolve("none.mat"), Pde.DARCY, Map.of(), MatImporter.Layout.MATLAB, dir))
        .hasMessageContaining("mat");
  }

  @Test
  void aProbeReadsTheShapeAndRefusesWhatTheImportWouldRefuse(@TempDir Path dir) throws Exception {
    Path mat = dir.resolve("darcy.mat");
    try (WritableHdfFile file = HdfFile.write(mat)) {
      file.putDataset("coeff", matlab(5, 9, 0));
      file.putDataset("sol", matlab(5, 9, 0.5));
      file.putDataset("short", matlab(4, 9, 0));
    }
    assertThat(MatImporter.probe(mat, Pde.DARCY, Map.of(), MatImporter.Layout.MATLAB))
        .isEqualTo(new MatImporter.Shape(5, 9));
    assertThatThrownBy(
            () ->
                MatImporter.probe(mat, Pde.DARCY, Map.of("u", "short"), MatImporter.Layout.MATLAB))
        .hasMessageContaining("disagree");
    Path text = java.nio.file.Files.writeString(dir.resolve("notes.mat"), "not HDF5 at all");
    assertThatThrownBy(
            () -> MatImporter.probe(text, Pde.DARCY, Map.of(), MatImporter.Layout.MATLAB))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a MATLAB v7.3 (HDF5) file");
  }
}
