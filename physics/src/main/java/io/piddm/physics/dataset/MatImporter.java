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

  public static DatasetSidecar importFile(
      Path mat, Pde pde, Map<String, String> keys, Layout layout, Path out) throws IOException {
    if (!Files.isRegularFile(mat)) {
      throw new IllegalArgumentException("mat: no such file " + mat);
    }
    List<String> channels = pde.channels();
    float[][] perChannel = new float[channels.size()][];
    int count = -1;
    int size = -1;
    try (HdfFile file = new HdfFile(mat)) {
      for (int c = 0; c < channels.size(); c++) {
        String channel = channels.get(c);
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
        int n = layout == Layout.MATLAB ? dims[2] : dims[0];
        int s1 = layout == Layout.MATLAB ? dims[1] : dims[1];
        int s2 = layout == Layout.MATLAB ? dims[0] : dims[2];
        if (s1 != s2) {
          throw new IllegalArgumentException(
              "mat: '"
                  + key
                  + "' is not square: "
                  + Arrays.toString(dims)
                  + " (layout "
                  + layout
                  + ")");
        }
        if (count >= 0 && (n != count || s1 != size)) {
          throw new IllegalArgumentException(
              "mat: channels disagree in shape: '" + key + "' is " + Arrays.toString(dims));
        }
        count = n;
        size = s1;
        perChannel[c] = toRowMajor(flatDoubles(dataset), n, s1, layout);
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
