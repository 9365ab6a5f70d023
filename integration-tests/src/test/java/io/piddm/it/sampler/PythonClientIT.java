package io.piddm.it.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.it.python.PythonContracts;
import io.piddm.proto.inference.GRPCInferenceServiceGrpc;
import io.piddm.proto.inference.ModelInferRequest;
import io.piddm.proto.v1.GenerateRequest;
import io.piddm.proto.v1.GenerateResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client written in Python (Debian's python3-grpcio, message classes built at run time from the
 * contracts' descriptors) calls Generate and ModelInfer and gets the same bytes as the Java client.
 * {@code .ci/run} installs python3-grpcio; without it the test is skipped, saying why.
 */
class PythonClientIT {

  static final String PYTHON = "/usr/bin/python3";

  @TempDir Path tmp;

  @Test
  void pythonAndJavaClientsGetTheSameBytes() throws Exception {
    assumeTrue(
        run(PYTHON, "-c", "import grpc, google.protobuf") == 0,
        PYTHON + " lacks grpc or protobuf (apt-get install python3-grpcio)");
    Path student = SamplerNode.exportStudent(tmp.resolve("student"), UNetSpec.tiny(2), 16, 5);
    Path descriptors = tmp.resolve("contracts.desc");
    Files.write(descriptors, PythonContracts.descriptorSet().toByteArray());
    float[] eps = new float[2 * 16 * 16];
    Random random = new Random(3);
    for (int k = 0; k < eps.length; k++) {
      eps[k] = (float) random.nextGaussian();
    }
    ByteBuffer raw = ByteBuffer.allocate(eps.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(eps);
    Path epsFile = tmp.resolve("eps.bin");
    Files.write(epsFile, raw.array());
    Path script = tmp.resolve("sampler_client.py");
    try (InputStream in = getClass().getResourceAsStream("/python/sampler_client.py")) {
      Files.copy(in, script);
    }

    try (SamplerNode node =
        SamplerNode.start(
            tmp.resolve("sampler.log"), Map.of("PIDDM_SAMPLER_MODEL_DIR", student.toString()))) {
      String target = "localhost:" + node.endpoint().grpcPort();
      Path out = Files.createDirectories(tmp.resolve("python-out"));
      int exit =
          run(
              PYTHON,
              script.toString(),
              target,
              descriptors.toString(),
              epsFile.toString(),
              out.toString());
      assertThat(exit).as("python client exit status (log %s)", tmp.resolve("python.log")).isZero();

      GenerateResponse generated =
          node.stub().generate(GenerateRequest.newBuilder().setCount(2).setSeed(7).build());
      var inferResponse =
          GRPCInferenceServiceGrpc.newBlockingStub(node.channel())
              .withDeadlineAfter(60, TimeUnit.SECONDS)
              .modelInfer(
                  ModelInferRequest.newBuilder()
                      .setModelName(generated.getModel().getModelName())
                      .addInputs(
                          ModelInferRequest.InferInputTensor.newBuilder()
                              .setName("eps")
                              .setDatatype("FP32")
                              .addShape(1)
                              .addShape(2)
                              .addShape(16)
                              .addShape(16))
                      .addRawInputContents(ByteString.copyFrom(raw.array()))
                      .build());

      byte[] pythonGenerate = Files.readAllBytes(out.resolve("generate.bin"));
      assertThat(pythonGenerate).hasSize(2 * 2 * 16 * 16 * 4);
      assertThat(pythonGenerate).isEqualTo(generated.getFields().getData().toByteArray());
      assertThat(Files.readString(out.resolve("version.txt"), StandardCharsets.UTF_8))
          .isEqualTo(Long.toString(generated.getModel().getVersion()));
      assertThat(Files.readAllBytes(out.resolve("infer.bin")))
          .isEqualTo(inferResponse.getRawOutputContents(0).toByteArray());
    }
  }

  /** The files and everything they import, dependencies first, as protoc would write them. */
  private int run(String... command) throws IOException, InterruptedException {
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("python.log").toFile()))
            .start();
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      return -1;
    }
    return process.exitValue();
  }
}
