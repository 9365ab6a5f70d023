package io.piddm.api;

import com.google.protobuf.ByteString;
import io.piddm.proto.v1.DType;
import io.piddm.proto.v1.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The contracts' {@code Tensor} message (little-endian, C order) ↔ float arrays: the one codec the
 * sampler, its clients and the tests use. Reading checks everything a peer can get wrong — shape,
 * dtype, byte count, NaN/Inf, float32 overflow, bool values other than 0/1 — and answers with an
 * {@link IllegalArgumentException} naming the tensor; a service maps it to INVALID_ARGUMENT, a
 * client reports that its peer sent something malformed.
 */
public final class Tensors {

  private Tensors() {}

  /** A float32 tensor of {@code shape} holding {@code values}. */
  public static Tensor float32(float[] values, long... shape) {
    long n = Arrays.stream(shape).reduce(1, Math::multiplyExact);
    if (n != values.length) {
      throw new IllegalArgumentException(
          values.length + " values for shape " + Arrays.toString(shape));
    }
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return Tensor.newBuilder()
        .setDtype(DType.DTYPE_FLOAT32)
        .setData(ByteString.copyFrom(b.array()))
        .addAllShape(Arrays.stream(shape).boxed().toList())
        .build();
  }

  public static Tensor float32(float[] values, int... shape) {
    return float32(values, Arrays.stream(shape).asLongStream().toArray());
  }

  /** The tensor's shape. */
  public static int[] shape(Tensor t) {
    return t.getShapeList().stream().mapToInt(Math::toIntExact).toArray();
  }

  /** The values of a float32 or float64 tensor of whatever shape it states. */
  public static float[] floats(Tensor t, String what) {
    return read(t, t.getShapeList().stream().mapToLong(Long::longValue).toArray(), what, false);
  }

  /**
   * The values of a float32/float64 (or, when {@code allowBool}, bool) tensor of exactly {@code
   * expected} shape, as float32.
   *
   * @throws IllegalArgumentException naming {@code what}: another shape or dtype, a byte count that
   *     does not fit the shape, NaN/Inf, a float64 beyond float32's range, a bool other than 0/1
   */
  public static float[] read(Tensor t, long[] expected, String what, boolean allowBool) {
    long[] shape = t.getShapeList().stream().mapToLong(Long::longValue).toArray();
    if (!Arrays.equals(shape, expected)) {
      throw new IllegalArgumentException(
          what
              + ": shape "
              + Arrays.toString(shape)
              + " does not match the model's "
              + Arrays.toString(expected));
    }
    int n = Math.toIntExact(Arrays.stream(expected).reduce(1, Math::multiplyExact));
    int size =
        switch (t.getDtype()) {
          case DTYPE_FLOAT32 -> 4;
          case DTYPE_FLOAT64 -> 8;
          case DTYPE_BOOL -> {
            if (!allowBool) {
              throw new IllegalArgumentException(
                  what + ": dtype must be float32 or float64, got DTYPE_BOOL");
            }
            yield 1;
          }
          default ->
              throw new IllegalArgumentException(
                  what
                      + ": dtype must be float32 or float64"
                      + (allowBool ? " or bool" : "")
                      + ", got "
                      + t.getDtype());
        };
    if (t.getData().size() != (long) n * size) {
      throw new IllegalArgumentException(
          what
              + ": "
              + t.getData().size()
              + " bytes for shape "
              + Arrays.toString(shape)
              + " of "
              + t.getDtype()
              + " (expected "
              + (long) n * size
              + ")");
    }
    ByteBuffer b = t.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[n];
    for (int k = 0; k < n; k++) {
      double v =
          switch (size) {
            case 4 -> b.getFloat();
            case 8 -> b.getDouble();
            default -> {
              byte x = b.get();
              if (x != 0 && x != 1) {
                throw new IllegalArgumentException(
                    what + ": bool element " + k + " is " + x + ", not 0 or 1");
              }
              yield x;
            }
          };
      if (!Double.isFinite(v)) {
        throw new IllegalArgumentException(
            what + ": element " + k + " is " + v + " (NaN/Inf are not accepted)");
      }
      float f = (float) v;
      if (!Float.isFinite(f)) {
        throw new IllegalArgumentException(what + ": element " + k + " overflows float32");
      }
      out[k] = f;
    }
    return out;
  }
}
