package io.piddm.export;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.djl.DjlOps;
import io.piddm.diffusion.net.Student;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.inference.OnnxSessions;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** model.onnx on ONNX Runtime computes what Student.physical computes on DJL. */
class ForwardParityTest {

  @TempDir Path dir;

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("tiny", UNetSpec.tiny(2), 16, 1),
        Arguments.of("tiny", UNetSpec.tiny(2), 16, 16),
        Arguments.of("preset32", UNetSpec.preset32(2), 32, 1),
        Arguments.of("preset32", UNetSpec.preset32(2), 16, 16),
        Arguments.of("preset64", UNetSpec.preset64(2), 16, 2));
  }

  @ParameterizedTest(name = "{0} at {2}², batch {3}")
  @MethodSource("cases")
  void onnxForwardMatchesDjl(String preset, UNetSpec spec, int size, int batch) throws Exception {
    OnnxExporter.ExportSpec export = Fixtures.export(spec, size, 11);
    Path model = OnnxExporter.export(export, dir).model();
    int n = batch * spec.channels() * size * size;
    float[] eps = Fixtures.gaussian(new Random(5), n);
    long[] shape = {batch, spec.channels(), size, size};

    float[] expected;
    try (NDManager manager = NDManager.newBaseManager()) {
      Map<String, NDArray> params = Fixtures.djlParameters(manager, spec, export.weights());
      expected =
          new Student(new UNet(spec), export.constraint())
              .physical(
                  new DjlOps(),
                  params::get,
                  manager.create(eps, new Shape(shape)),
                  Fixtures.STD,
                  Fixtures.MEAN)
              .toFloatArray();
    }
    float[] actual;
    try (OnnxSessions.Opened session = OnnxSessions.open(model, OnnxSessions.Provider.CPU, 1)) {
      actual = Fixtures.run(session.session(), Map.of("eps", Fixtures.tensor(eps, shape))).get("x");
    }
    assertThat(actual).hasSameSizeAs(expected);
    // the network part is ~std·O(1): the spread of the field is the scale of the comparison
    double spread = 0;
    for (int k = 0; k < n; k++) {
      spread = Math.max(spread, Math.abs(expected[k] - Fixtures.MEAN[(k / (size * size)) % 2]));
    }
    assertThat(spread).isGreaterThan(0.01);
    assertThat(Fixtures.maxAbsDiff(actual, expected))
        .isLessThanOrEqualTo(1e-4 * Math.max(1, spread));
  }
}
