package io.piddm.cli.sampler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import org.jetbrains.bio.npy.NpyArray;
import org.jetbrains.bio.npy.NpyFile;

/**
 * NumPy {@code .npy} files of fields through the project's NumPy library ({@code
 * org.jetbrains.bio.npy}, as {@code fields.npy} of a dataset is written): any numeric or boolean
 * array read as float32 with its shape, float32 arrays written by rename so a reader never sees
 * half a file.
 */
public final class NpyFields {

  /** The values of an array (C order) and its shape. */
  public record Array(float[] data, int[] shape) {
    public Array {
      long n = 1;
      for (int s : shape) {
        n *= s;
      }
      if (n != data.length) {
        throw new IllegalArgumentException(
            "shape " + Arrays.toString(shape) + " holds " + n + " values, not " + data.length);
      }
    }

    public int rank() {
      return shape.length;
    }

    public String shapeText() {
      return Arrays.toString(shape);
    }
  }

  private NpyFields() {}

  /**
   * Reads {@code file}: float32, float64, integer or bool arrays, returned as float32. An
   * IOException names the file when it is missing or not a readable .npy array.
   */
  public static Array read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such file");
    }
    NpyArray array;
    try {
      array = NpyFile.read(file, Integer.MAX_VALUE);
    } catch (RuntimeException e) {
      throw new IOException(file + ": not a readable .npy file (" + e.getMessage() + ")", e);
    }
    Object data = array.getData();
    float[] values;
    if (data instanceof float[] f) {
      values = f;
    } else if (data instanceof double[] d) {
      values = new float[d.length];
      for (int k = 0; k < d.length; k++) {
        values[k] = (float) d[k];
      }
    } else if (data instanceof int[] i) {
      values = new float[i.length];
      for (int k = 0; k < i.length; k++) {
        values[k] = i[k];
      }
    } else if (data instanceof long[] l) {
      values = new float[l.length];
      for (int k = 0; k < l.length; k++) {
        values[k] = l[k];
      }
    } else if (data instanceof short[] s) {
      values = new float[s.length];
      for (int k = 0; k < s.length; k++) {
        values[k] = s[k];
      }
    } else if (data instanceof byte[] b) {
      values = new float[b.length];
      for (int k = 0; k < b.length; k++) {
        values[k] = b[k];
      }
    } else if (data instanceof boolean[] b) {
      values = new float[b.length];
      for (int k = 0; k < b.length; k++) {
        values[k] = b[k] ? 1f : 0f;
      }
    } else {
      throw new IOException(
          file + ": a .npy array of " + data.getClass().getSimpleName() + " is not numeric");
    }
    return new Array(values, array.getShape());
  }

  /** Writes float32 {@code data} of {@code shape} to {@code file}, atomically by rename. */
  public static void write(Path file, float[] data, int... shape) throws IOException {
    new Array(data, shape); // checks the shape
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path temporary = parent.resolve(file.getFileName() + ".tmp");
    NpyFile.write(temporary, data, shape);
    Files.move(
        temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
