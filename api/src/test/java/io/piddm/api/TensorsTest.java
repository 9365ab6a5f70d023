package io.piddm.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.piddm.proto.v1.DType;
import io.piddm.proto.v1.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class TensorsTest {

  private static Tensor raw(DType dtype, byte[] data, long... shape) {
    return Tensor.newBuilder()
        .setDtype(dtype)
        .setData(ByteString.copyFrom(data))
        .addAllShape(java.util.Arrays.stream(shape).boxed().toList())
        .build();
  }

  private static byte[] doubles(double... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (double v : values) {
      b.putDouble(v);
    }
    return b.array();
  }

  @Test
  void float32RoundTripsWithItsShape() {
    float[] values = {1.5f, -2f, 0f, 3.25f, 7f, -0.125f};
    Tensor t = Tensors.float32(values, 1, 2, 3);

    assertThat(t.getDtype()).isEqualTo(DType.DTYPE_FLOAT32);
    assertThat(t.getShapeList()).containsExactly(1L, 2L, 3L);
    assertThat(Tensors.shape(t)).containsExactly(1, 2, 3);
    assertThat(Tensors.floats(t, "x")).containsExactly(values);
    assertThat(Tensors.read(t, new long[] {1, 2, 3}, "x", false)).containsExactly(values);
  }

  @Test
  void float64IsReadAsFloat32() {
    Tensor t = raw(DType.DTYPE_FLOAT64, doubles(0.5, -4), 2);
    assertThat(Tensors.floats(t, "x")).containsExactly(0.5f, -4f);
  }

  @Test
  void whatAPeerCanGetWrongIsRefusedNamingTheTensor() {
    Tensor ok = Tensors.float32(new float[4], 2, 2);
    assertThatThrownBy(() -> Tensors.read(ok, new long[] {4}, "observations", false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("observations: shape [2, 2] does not match the model's [4]");
    assertThatThrownBy(() -> Tensors.floats(raw(DType.DTYPE_FLOAT32, new byte[7], 2), "fields"))
        .hasMessage("fields: 7 bytes for shape [2] of DTYPE_FLOAT32 (expected 8)");
    assertThatThrownBy(
            () -> Tensors.floats(raw(DType.DTYPE_FLOAT64, doubles(1, Double.NaN), 2), "x"))
        .hasMessageContaining("element 1 is NaN");
    assertThatThrownBy(() -> Tensors.floats(raw(DType.DTYPE_FLOAT64, doubles(1e300), 1), "x"))
        .hasMessage("x: element 0 overflows float32");
    assertThatThrownBy(() -> Tensors.floats(raw(DType.DTYPE_BOOL, new byte[] {1}, 1), "mask"))
        .hasMessage("mask: dtype must be float32 or float64, got DTYPE_BOOL");
    assertThatThrownBy(() -> Tensors.float32(new float[3], 2, 2))
        .hasMessage("3 values for shape [2, 2]");
  }

  @Test
  void boolsAreReadWhereAllowedAndOnlyZeroOrOne() {
    Tensor mask = raw(DType.DTYPE_BOOL, new byte[] {0, 1, 1}, 3);
    assertThat(Tensors.read(mask, new long[] {3}, "mask", true)).containsExactly(0f, 1f, 1f);
    assertThatThrownBy(
            () -> Tensors.read(raw(DType.DTYPE_BOOL, new byte[] {2}, 1), new long[] {1}, "m", true))
        .hasMessage("m: bool element 0 is 2, not 0 or 1");
  }
}
