package io.piddm.physics.dataset;

import io.jhdf.HdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Node;
import io.piddm.physics.pde.Pde;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Imports DiffusionPDE/FNO-style MATLAB v7.3 files (HDF5, read with jhdf) into the project's
 * dataset layout, so users can train on data they already have. Each channel is one N×S×S array
 * under its own key (by default {@code coeff} for a and {@code sol} for u). MATLAB stores arrays
 * column-major, so HDF5 sees them as S×S×N with both grid axes swapped; {@link Layout#MATLAB}
 * undoes that, {@link Layout#ROW_MAJOR} takes N×S×S as it is (files written by Python or C).
 */
public final class MatImporter {

  public enum Layout {
    MATLAB,
    ROW_MAJOR
  }

  /** Default keys per channel name, as in the FNO/DiffusionPDE Darcy files. */
  public static final Map<String, String> DEFAULT_KEYS = Map.of("a", "coeff", "u", "sol");

  private MatImporter() {}

  /** What a file holds for a PDE, read from its HDF5 headers alone: fields and grid size. */
  public record Shape(int count, int size) {}

  /**
   * Checks that {@code mat} is a MATLAB v7.3 (HDF5) file with one N×S×S float or double dataset per
   * channel of {@code pde}, all of one shape, without reading their data: a trainer can refuse a
   * file it cannot import when the run is submitted, not when its data phase starts.
   *
   * @throws IllegalArgumentException naming what is missing or wrong
   */
  public static Shape probe(Path mat, Pde pde, Map<String, String> keys, Layout layout)
      throws IOException {
    try (HdfFile file = open(mat)) {
      return shape(channelDatasets(file, mat, pde, keys), layout);
    }
  }

  public static DatasetSidecar importFile(
      Path mat, Pde pde, Map<String, String> keys, Layout layout, Path out) throws IOException {
    List<String> channels = pde.channels();
    float[][] perChannel = new float[channels.size()][];
    int count;
    int size;
    try (HdfFile file = open(mat)) {
      List<Dataset> datasets = channelDatasets(file, mat, pde, keys);
      Shape shape = shape(datasets, layout);
      count = shape.count();
      size = shape.size();
      for (int c = 0; c < channels.size(); c++) {
        perChannel[c] = toRowMajor(flatDoubles(datasets.get(c)), count, size, layout);
      }
    }
    DatasetSpec spec = new DatasetSpec(pde, size, count, 0);
    int channelLength = size * size;
    float[] data = new float[count * channels.size() * channelLength];
    for (int n = 0; n < count; n++) {
      for (int c = 0; c < channels.size(); c++) {
        System.arraycopy(
            perChannel[c],
            n * channelLength,
            data,
            (n * channels.size() + c) * channelLength,
            channelLength);
      }
    }
    Map<String, Object> origin = new LinkedHashMap<>();
    origin.put("file", mat.getFileName().toString());
    origin.put("layout", layout.name().toLowerCase(java.util.Locale.ROOT));
    for (String channel : channels) {
      origin.put("key_" + channel, keys.getOrDefault(channel, DEFAULT_KEYS.get(channel)));
    }
    return DatasetWriter.write(out, spec, "imported:" + mat.getFileName(), origin, data);
  }

  private static HdfFile open(Path mat) {
    if (!Files.isRegularFile(mat)) {
      throw new IllegalArgumentException("mat: no such file " + mat);
    }
    try {
      return new HdfFile(mat);
    } catch (RuntimeException e) {
      // jhdf's HdfException: the bytes are not HDF5, so not a MATLAB v7.3 file
      throw new IllegalArgumentException(
          "mat: " + mat.getFileName() + " is not a MATLAB v7.3 (HDF5) file: " + e.getMessage());
    }
  }

  /** Each channel's dataset, by its key, checked to be three-dimensional. */
  private static List<Dataset> channelDatasets(
      HdfFile file, Path mat, Pde pde, Map<String, String> keys) {
    List<Dataset> datasets = new java.util.ArrayList<>();
    for (String channel : pde.channels()) {
      String key = keys.getOrDefault(channel, DEFAULT_KEYS.get(channel));
      Node node = key == null ? null : file.getChildren().get(key);
      if (!(node instanceof Dataset dataset)) {
        throw new IllegalArgumentException(
            "mat: no dataset '"
                + key
                + "' for channel "
                + channel
                + " in "
                + mat
                + "; datasets present: "
                + file.getChildren().keySet());
      }
      int[] dims = dataset.getDimensions();
      if (dims.length != 3) {
        throw new IllegalArgumentException(
            "mat: '"
                + key
                + "' has shape "
                + Arrays.toString(dims)
                + "; expected 3 dimensions (N, S, S)");
      }
      Class<?> type = dataset.getJavaType();
      if (type != double.class && type != float.class) {
        throw new IllegalArgumentException(
            "mat: '" + key + "' holds " + type + "; expected float or double");
      }
      datasets.add(dataset);
    }
    return datasets;
  }

  /** The common (N, S) of the channels' datasets; square grids, one shape for every channel. */
  private static Shape shape(List<Dataset> datasets, Layout layout) {
    Shape shape = null;
    for (Dataset dataset : datasets) {
      int[] dims = dataset.getDimensions();
      int n = layout == Layout.MATLAB ? dims[2] : dims[0];
      int s1 = dims[1];
      int s2 = layout == Layout.MATLAB ? dims[0] : dims[2];
      if (s1 != s2) {
        throw new IllegalArgumentException(
            "mat: '"
                + dataset.getName()
                + "' is not square: "
                + Arrays.toString(dims)
                + " (layout "
                + layout
                + ")");
      }
      if (shape != null && (n != shape.count() || s1 != shape.size())) {
        throw new IllegalArgumentException(
            "mat: channels disagree in shape: '"
                + dataset.getName()
                + "' is "
                + Arrays.toString(dims));
      }
      shape = new Shape(n, s1);
    }
    return shape;
  }

  private static double[] flatDoubles(Dataset dataset) {
    Object flat = dataset.getDataFlat();
    if (flat instanceof double[] d) {
      return d;
    }
    if (flat instanceof float[] f) {
      double[] d = new double[f.length];
      for (int k = 0; k < f.length; k++) {
        d[k] = f[k];
      }
      return d;
    }
    throw new IllegalArgumentException(
        "mat: dataset "
            + dataset.getPath()
            + " holds "
            + dataset.getJavaType()
            + "; expected float or double");
  }

  /** Sample n, row i, column j of the result is MATLAB's (n, i, j). */
  private static float[] toRowMajor(double[] flat, int n, int s, Layout layout) {
    float[] out = new float[n * s * s];
    for (int m = 0; m < n; m++) {
      for (int i = 0; i < s; i++) {
        for (int j = 0; j < s; j++) {
          int source = layout == Layout.MATLAB ? (j * s + i) * n + m : (m * s + i) * s + j;
          double v = flat[source];
          if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(
                "mat: sample " + m + " holds " + v + " at (" + i + ", " + j + ")");
          }
          out[(m * s + i) * s + j] = (float) v;
        }
      }
    }
    return out;
  }
}
