package io.piddm.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OrtException;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.inference.OnnxSessions;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files themselves: checker, opset/IR, metadata, dynamic batch, execution providers. */
class OnnxFilesTest {

  private static final Path CHECKER = Path.of("src/test/python/check_onnx.py");

  @TempDir static Path dir;

  static OnnxExporter.Exported files;

  @BeforeAll
  static void export() throws Exception {
    files = OnnxExporter.export(Fixtures.export(UNetSpec.tiny(2), 16, 3), dir);
  }

  @Test
  void bothGraphsPassTheOnnxCheckerWithFullCheck() throws Exception {
    assumeTrue(
        run(List.of("/usr/bin/python3", "-c", "import onnx")).exit == 0,
        "Debian's python3-onnx is not installed (apt-get install -y python3-onnx)");
    Result r =
        run(
            List.of(
                "/usr/bin/python3",
                CHECKER.toString(),
                files.model().toString(),
                files.reconstruct().toString()));
    assertThat(r.exit).as(r.output).isZero();
    assertThat(r.output).contains("ir=8 opset=ai.onnx:17");
  }

  @Test
  void filesDeclareOpsetIrAndMetadata() throws Exception {
    for (Path p : List.of(files.model(), files.reconstruct())) {
      ModelProto model;
      try (InputStream in = Files.newInputStream(p)) {
        model = ModelProto.parseFrom(in);
      }
      assertThat(model.getIrVersion()).isEqualTo(8);
      assertThat(model.getOpsetImport(0).getVersion()).isEqualTo(17);
      assertThat(model.getGraph().getNodeList())
          .noneMatch(n -> n.getOpType().equals("GroupNormalization"));
      Map<String, String> meta = OnnxExporter.metadataOf(p);
      assertThat(meta)
          .containsEntry("pde", "darcy")
          .containsEntry("grid_size", "16")
          .containsEntry("residual_spec", "darcy/consistent-fv5-harmonic")
          .containsEntry("normalization_mean", "[7.5, 0.02]")
          .containsEntry("normalization_std", "[1.0, 0.01]")
          .containsEntry("sigma_max", "80.0")
          .containsKeys("name", "version", "inputs", "outputs", "batch", "unet");
    }
    ModelProto reconstruct;
    try (InputStream in = Files.newInputStream(files.reconstruct())) {
      reconstruct = ModelProto.parseFrom(in);
    }
    assertThat(reconstruct.getMetadataPropsList())
        .anyMatch(e -> e.getKey().equals("loss") && e.getValue().contains("lambda_pde"));
    assertThat(reconstruct.getGraph().getOutputList())
        .extracting(o -> o.getName())
        .containsExactly("loss", "grad_eps", "x_mix", "x");
  }

  @Test
  void oneSessionServesAnyBatchSize() throws Exception {
    try (OnnxSessions.Opened s = OnnxSessions.open(files.model(), OnnxSessions.Provider.CPU, 1)) {
      assertThat(s.provider()).isEqualTo(OnnxSessions.Provider.CPU);
      for (int batch : new int[] {1, 3, 16}) {
        float[] eps = Fixtures.gaussian(new Random(batch), batch * 2 * 16 * 16);
        float[] x =
            Fixtures.run(s.session(), Map.of("eps", Fixtures.tensor(eps, batch, 2, 16, 16)))
                .get("x");
        assertThat(x).hasSize(eps.length);
      }
    }
  }

  @Test
  void cudaIsRefusedAndAutoFallsBackToCpuWithAReason() throws Exception {
    assertThatThrownBy(() -> OnnxSessions.open(files.model(), OnnxSessions.Provider.CUDA, 1))
        .isInstanceOf(OrtException.class);

    Logger logger = Logger.getLogger(OnnxSessions.class.getName());
    List<LogRecord> records = new ArrayList<>();
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            records.add(record);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    logger.addHandler(handler);
    try (OnnxSessions.Opened s = OnnxSessions.open(files.model(), OnnxSessions.Provider.AUTO, 1)) {
      assertThat(s.provider()).isEqualTo(OnnxSessions.Provider.CPU);
    } finally {
      logger.removeHandler(handler);
    }
    assertThat(records)
        .anySatisfy(
            r -> {
              assertThat(r.getMessage()).contains("CUDA execution provider unavailable");
              assertThat(r.getParameters()[0]).asString().isNotBlank();
            });
  }

  private record Result(int exit, String output) {}

  private static Result run(List<String> command) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      return new Result(-1, e.toString());
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Result(-1, out + " (timed out)");
    }
    return new Result(p.exitValue(), out);
  }
}
