package io.piddm.export;

import java.util.Arrays;

/**
 * A symbolic tensor of an ONNX graph under construction: the name of the value and its static
 * shape. The leading (batch) dimension may be {@link #BATCH}, written to the file as the dimension
 * parameter {@code N}; every other dimension is a number known at export time.
 */
public record Sym(String name, long[] shape, int elemType) {

  /** The dynamic batch dimension. */
  public static final long BATCH = -1;

  public Sym {
    shape = shape.clone();
    for (int k = 0; k < shape.length; k++) {
      if (shape[k] < 0 && !(k == 0 && shape[k] == BATCH)) {
        throw new IllegalArgumentException(
            name + ": only the leading dimension may be dynamic, got " + Arrays.toString(shape));
      }
    }
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  public long dim(int axis) {
    return shape[axis];
  }

  /** Elements per sample when the batch is dynamic, else all elements. */
  public long elementsAfterBatch() {
    long n = 1;
    for (int k = shape.length > 0 && shape[0] == BATCH ? 1 : 0; k < shape.length; k++) {
      n *= shape[k];
    }
    return n;
  }

  public boolean sameShape(Sym other) {
    return Arrays.equals(shape, other.shape);
  }

  public static String describe(long[] shape) {
    StringBuilder sb = new StringBuilder("[");
    for (int k = 0; k < shape.length; k++) {
      sb.append(k > 0 ? ", " : "").append(shape[k] == BATCH ? "N" : Long.toString(shape[k]));
    }
    return sb.append(']').toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Sym s && s.name.equals(name);
  }

  @Override
  public int hashCode() {
    return name.hashCode();
  }

  @Override
  public String toString() {
    return name + describe(shape);
  }
}
