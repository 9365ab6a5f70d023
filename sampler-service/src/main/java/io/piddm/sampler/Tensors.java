package io.piddm.sampler;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.piddm.proto.v1.DType;
import io.piddm.proto.v1.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Tensor messages ↔ float arrays, with the contract's INVALID_ARGUMENT checks. */
final class Tensors {

  private Tensors() {}

  static Tensor float32(float[] values, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return Tensor.newBuilder()
        .setDtype(DType.DTYPE_FLOAT32)
        .setData(ByteString.copyFrom(b.array()))
        .addAllShape(Arrays.stream(shape).boxed().toList())
        .build();
  }

  /**
   * The values of a float32/float64 (or, when {@code allowBool}, bool) tensor of exactly {@code
   * expected} shape; INVALID_ARGUMENT naming {@code what} otherwise, or for NaN/Inf.
   */
  static float[] read(Tensor t, long[] expected, String what, boolean allowBool) {
    long[] shape = t.getShapeList().stream().mapToLong(Long::longValue).toArray();
    if (!Arrays.equals(shape, expected)) {
      throw invalid(
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
              throw invalid(what + ": dtype must be float32 or float64, got DTYPE_BOOL");
            }
            yield 1;
          }
          default ->
              throw invalid(
                  what
                      + ": dtype must be float32 or float64"
                      + (allowBool ? " or bool" : "")
                      + ", got "
                      + t.getDtype());
        };
    if (t.getData().size() != (long) n * size) {
      throw invalid(
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
                throw invalid(what + ": bool element " + k + " is " + x + ", not 0 or 1");
              }
              yield x;
            }
          };
      if (!Double.isFinite(v)) {
        throw invalid(what + ": element " + k + " is " + v + " (NaN/Inf are not accepted)");
      }
      if (size != 8 && size != 4) {
        out[k] = (float) v;
      } else {
        float f = (float) v;
        if (!Float.isFinite(f)) {
          throw invalid(what + ": element " + k + " overflows float32");
        }
        out[k] = f;
      }
    }
    return out;
  }

  static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }
}
