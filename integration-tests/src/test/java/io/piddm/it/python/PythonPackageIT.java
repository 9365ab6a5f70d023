package io.piddm.it.python;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.piddm.cli.mesh.MeshService;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.export.OnnxExporter;
import io.piddm.it.MeshHarness;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpecs;
import io.piddm.probe.ServiceEndpoint;
import io.piddm.proto.v1.GenerateRequest;
import io.piddm.proto.v1.GenerateResponse;
import io.piddm.proto.v1.SamplerServiceGrpc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Python package {@code clients/python} (module {@code piddm}) against a real mesh: its pytest
 * suite runs under Debian's {@code /usr/bin/python3} with the three services started as separate
 * processes on free ports, and the sampler serving a tiny Darcy student exported by the real
 * exporter. Skipped, saying why (a JUnit execution condition, checked before the mesh starts), only
 * when that Python lacks grpc, protobuf, numpy or pytest ({@code .ci/run} installs them).
 */
@ExtendWith(PythonPackageIT.PythonReady.class)
class PythonPackageIT {

  static final String PYTHON = "/usr/bin/python3";
  static final String REGISTRY_TOKEN = "python-it-registry-token";
  static final String TRAINER_TOKEN = "python-it-trainer-token";
  static final Path WORK = Path.of("target", "python-it").toAbsolutePath();
  static final Path JAVA_GENERATE = WORK.resolve("java-generate-2-seed-7.bin");

  /** Runs before the mesh starts: exports the student the sampler serves. */
  @RegisterExtension
  @Order(1)
  static final BeforeAllCallback PREPARE = context -> exportStudent();

  @RegisterExtension
  @Order(2)
  static final MeshHarness mesh =
      new MeshHarness()
          .withEnvironment(MeshService.REGISTRY, "PIDDM_REGISTRY_TOKEN", REGISTRY_TOKEN)
          .withEnvironment(MeshService.TRAINER, "PIDDM_TRAINER_TOKEN", TRAINER_TOKEN)
          .withEnvironment(
              MeshService.SAMPLER, "PIDDM_SAMPLER_MODEL_DIR", WORK.resolve("student").toString())
          .withEnvironment(MeshService.SAMPLER, "PIDDM_SAMPLER_PROVIDER", "cpu")
          .withEnvironment(MeshService.SAMPLER, "PIDDM_SAMPLER_INTRA_OP_THREADS", "1");

  /**
   * Skips the class, naming what is missing, before any service starts when {@code
   * /usr/bin/python3} cannot import what the package and its tests need.
   */
  static final class PythonReady implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      for (String module : List.of("grpc", "google.protobuf", "numpy", "pytest")) {
        if (python("-c", "import " + module) != 0) {
          return ConditionEvaluationResult.disabled(
              PYTHON
                  + " cannot import "
                  + module
                  + ": the Python client's tests need Debian's python3-grpcio, python3-protobuf,"
                  + " python3-numpy and python3-pytest (.ci/run installs them)");
        }
      }
      return ConditionEvaluationResult.enabled(PYTHON + " has grpc, protobuf, numpy and pytest");
    }
  }

  static void exportStudent() throws Exception {
    Files.createDirectories(WORK);
    UNetSpec spec = UNetSpec.tiny(2);
    OnnxExporter.exportStudent(
        spec,
        new UNet(spec).perturbedWeights(5),
        new double[] {7.5, 0.02},
        new double[] {1.0, 0.01},
        ResidualSpecs.consistent(Pde.DARCY),
        new Grid(16),
        Files.createDirectories(WORK.resolve("student")));
  }

  @Test
  void thePythonTestsPassAgainstTheMesh() throws Exception {
    // what the Java client gets, for the Python client to compare byte for byte
    ManagedChannel channel =
        ManagedChannelBuilder.forTarget(target(MeshService.SAMPLER)).usePlaintext().build();
    try {
      GenerateResponse java =
          SamplerServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(60, TimeUnit.SECONDS)
              .generate(GenerateRequest.newBuilder().setCount(2).setSeed(7).build());
      Files.write(JAVA_GENERATE, java.getFields().getData().toByteArray());
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    Result pytest =
        runPython(
            "pytest",
            "-m",
            "pytest",
            "clients/python/tests",
            "-v",
            "-rs",
            "-p",
            "no:cacheprovider",
            "--junitxml=" + WORK.resolve("pytest.xml"));
    System.out.println(pytest.output());
    assertThat(pytest.exit()).as("pytest's exit status:\n%s", pytest.output()).isZero();
    // every test ran against the mesh: none skipped for a missing target
    assertThat(pytest.output()).as(pytest.output()).contains(" passed").doesNotContain(" skipped");
  }

  @Test
  void theExamplesRunAgainstTheMesh() throws Exception {
    assumeTrue(
        python("-c", "import matplotlib") == 0,
        PYTHON + " cannot import matplotlib: the examples need python3-matplotlib");
    String sampler = target(MeshService.SAMPLER);
    Path fields = WORK.resolve("generated_fields.png");
    Result generate =
        runPython(
            "generate_fields",
            "examples/python/generate_fields.py",
            "--sampler",
            sampler,
            "--count",
            "2",
            "--out",
            fields.toString());
    assertThat(generate.exit()).as(generate.output()).isZero();
    assertThat(generate.output()).contains("2 fields in").contains("wrote " + fields);
    Path inverse = WORK.resolve("darcy_inverse.png");
    Result solve =
        runPython(
            "darcy_inverse",
            "examples/python/darcy_inverse.py",
            "--sampler",
            sampler,
            "--steps",
            "20",
            "--members",
            "2",
            "--out",
            inverse.toString());
    assertThat(solve.exit()).as(solve.output()).isZero();
    assertThat(solve.output()).contains("relative L2 of a").contains("wrote " + inverse);
    for (Path png : List.of(fields, inverse)) {
      byte[] head = Arrays.copyOf(Files.readAllBytes(png), 4);
      assertThat(head).as(png.toString()).isEqualTo(new byte[] {(byte) 0x89, 'P', 'N', 'G'});
    }
  }

  record Result(int exit, String output) {}

  /**
   * Runs {@code /usr/bin/python3 ARGS} in the project root with the package on PYTHONPATH and the
   * mesh's targets and tokens in the environment; output in {@code target/python-it/NAME.log}.
   */
  static Result runPython(String name, String... args) throws Exception {
    Path log = WORK.resolve(name + ".log");
    List<String> command = new ArrayList<>();
    command.add(PYTHON);
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(PythonContracts.HOME.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.put("PYTHONPATH", PythonContracts.PACKAGE_ROOT.toString());
    env.put("PYTHONDONTWRITEBYTECODE", "1");
    env.put("MPLBACKEND", "Agg");
    env.put("PIDDM_TEST_SAMPLER", target(MeshService.SAMPLER));
    env.put("PIDDM_TEST_REGISTRY", target(MeshService.REGISTRY));
    env.put("PIDDM_TEST_TRAINER", target(MeshService.TRAINER));
    env.put("PIDDM_TEST_REGISTRY_TOKEN", REGISTRY_TOKEN);
    env.put("PIDDM_TEST_TRAINER_TOKEN", TRAINER_TOKEN);
    env.put("PIDDM_TEST_JAVA_GENERATE", JAVA_GENERATE.toString());
    Process process = builder.start();
    if (!process.waitFor(8, TimeUnit.MINUTES)) {
      process.destroyForcibly().waitFor();
      return new Result(-1, "timed out after 8 minutes\n" + Files.readString(log));
    }
    return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  static String target(MeshService service) {
    ServiceEndpoint endpoint = mesh.endpoint(service);
    return endpoint.host() + ":" + endpoint.grpcPort();
  }

  static int python(String... args) {
    List<String> command = new ArrayList<>();
    command.add(PYTHON);
    command.addAll(List.of(args));
    try {
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return -1;
      }
      return process.exitValue();
    } catch (IOException e) {
      return -1; // no such interpreter
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }
}
