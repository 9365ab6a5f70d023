package io.piddm.api.sampler;

import io.piddm.physics.grid.Field;

/** Index arithmetic on flat C-order field arrays (N × C × H × W or C × H × W). */
public final class FieldLayout {

  private FieldLayout() {}

  /** Channel {@code c} of field {@code index} of {@code fields} (N × C × H × W), in float64. */
  public static Field channel(
      float[] fields, int index, int c, int channels, int height, int width) {
    int plane = height * width;
    int base = (index * channels + c) * plane;
    double[] values = new double[plane];
    for (int k = 0; k < plane; k++) {
      values[k] = fields[base + k];
    }
    return new Field(height, width, values);
  }

  /** Flattens N fields of equal length into one N × (C·H·W) array. */
  public static float[] stack(float[][] fields) {
    int d = fields.length == 0 ? 0 : fields[0].length;
    float[] out = new float[fields.length * d];
    for (int i = 0; i < fields.length; i++) {
      if (fields[i].length != d) {
        throw new IllegalArgumentException(
            "fields: field " + i + " has " + fields[i].length + " values, field 0 has " + d);
      }
      System.arraycopy(fields[i], 0, out, i * d, d);
    }
    return out;
  }
}
