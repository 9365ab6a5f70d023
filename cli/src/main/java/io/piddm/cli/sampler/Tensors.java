package io.piddm.cli.sampler;

import com.google.protobuf.ByteString;
import io.piddm.proto.v1.DType;
import io.piddm.proto.v1.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Tensor messages (float32 little-endian, C order) ↔ float arrays. */
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

  static Tensor float32(float[] values, int... shape) {
    return float32(values, Arrays.stream(shape).asLongStream().toArray());
  }

  /** The values of a float32 tensor; IllegalStateException when the sampler sent another kind. */
  static float[] floats(Tensor t, String what) {
    if (t.getDtype() != DType.DTYPE_FLOAT32) {
      throw new IllegalStateException(
          what + ": the sampler sent " + t.getDtype() + ", not float32");
    }
    long n = t.getShapeList().stream().mapToLong(Long::longValue).reduce(1, Math::multiplyExact);
    if (t.getData().size() != n * 4) {
      throw new IllegalStateException(
          what + ": " + t.getData().size() + " bytes for shape " + t.getShapeList());
    }
    float[] out = new float[(int) n];
    t.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  static int[] shape(Tensor t) {
    return t.getShapeList().stream().mapToInt(Math::toIntExact).toArray();
  }
}
