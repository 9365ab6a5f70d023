package io.piddm.physics.grid;

/**
 * Argument checks with messages that name the parameter, shared by every generator, solver and
 * metric so a bad input always reads the same way.
 */
public final class Check {

  private Check() {}

  public static int positive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
    return value;
  }

  public static int atLeast(String name, int value, int minimum) {
    if (value < minimum) {
      throw new IllegalArgumentException(name + " must be at least " + minimum + ", got " + value);
    }
    return value;
  }

  public static double finitePositive(String name, double value) {
    if (!Double.isFinite(value) || value <= 0) {
      throw new IllegalArgumentException(name + " must be finite and positive, got " + value);
    }
    return value;
  }

  /** Throws when any value is NaN or infinite, naming the first offending index. */
  public static void finite(String name, double[] values) {
    for (int k = 0; k < values.length; k++) {
      if (!Double.isFinite(values[k])) {
        throw new IllegalArgumentException(
            name + " must be finite, but entry " + k + " is " + values[k]);
      }
    }
  }

  public static void finite(String name, Field field) {
    finite(name, field.values());
  }

  /** Throws unless both fields have the same shape. */
  public static void sameShape(String nameA, Field a, String nameB, Field b) {
    if (!a.sameShape(b)) {
      throw new IllegalArgumentException(
          nameA + " is " + a.rows() + "×" + a.cols() + " but " + nameB + " is " + b.rows() + "×"
              + b.cols());
    }
  }
}
