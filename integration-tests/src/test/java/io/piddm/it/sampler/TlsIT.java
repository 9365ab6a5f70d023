package io.piddm.it.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.piddm.api.registry.RegistryClient;
import io.piddm.cli.mesh.MeshService;
import io.piddm.cli.mesh.ServiceProcess;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.it.FreePorts;
import io.piddm.probe.GrpcChannels;
import io.piddm.probe.ServiceEndpoint;
import io.piddm.proto.v1.GenerateRequest;
import io.piddm.proto.v1.ListModelsRequest;
import io.piddm.proto.v1.SamplerServiceGrpc;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gRPC over TLS with a throw-away CA made at test time (the JDK's keytool): a registry and a
 * sampler serve TLS only; an upload, an alias move and a Generate go over TLS with the CA file, the
 * sampler itself follows the registry over TLS, and a plaintext client is refused. The Python
 * client ({@code clients/python}) does the same with {@code tls=} the CA file.
 */
class TlsIT {

  static final String TOKEN = "tls-token";
  static final String MODEL = "darcy-tls";
  static final String PASSWORD = "changeit";

  @TempDir Path dir;

  private final List<ServiceProcess> started = new ArrayList<>();

  @AfterEach
  void stop() throws InterruptedException {
    for (ServiceProcess process : started) {
      process.stop(Duration.ofSeconds(20));
    }
    System.clearProperty(GrpcChannels.CA_FILE_PROPERTY);
  }

  private void keytool(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("keytool %s: %s", command, out).isZero();
  }

  /** ca.pem, and server-chain.pem + server-key.pem for CN=localhost (SAN localhost, 127.0.0.1). */
  private void makeCertificates() throws Exception {
    String[] store = {"-storetype", "PKCS12", "-storepass", PASSWORD};
    keytool(
        concat(
            new String[] {
              "-genkeypair",
              "-alias",
              "ca",
              "-keyalg",
              "RSA",
              "-keysize",
              "2048",
              "-dname",
              "CN=piddm test CA",
              "-ext",
              "bc:c",
              "-validity",
              "2",
              "-keystore",
              "ca.p12"
            },
            store));
    keytool(
        concat(
            new String[] {
              "-genkeypair",
              "-alias",
              "server",
              "-keyalg",
              "RSA",
              "-keysize",
              "2048",
              "-dname",
              "CN=localhost",
              "-validity",
              "2",
              "-keystore",
              "server.p12"
            },
            store));
    keytool(
        concat(
            new String[] {
              "-certreq", "-alias", "server", "-keystore", "server.p12", "-file", "server.csr"
            },
            store));
    keytool(
        concat(
            new String[] {
              "-gencert",
              "-alias",
              "ca",
              "-keystore",
              "ca.p12",
              "-infile",
              "server.csr",
              "-outfile",
              "server.pem",
              "-rfc",
              "-validity",
              "2",
              "-ext",
              "SAN=dns:localhost,ip:127.0.0.1"
            },
            store));
    keytool(
        concat(
            new String[] {
              "-exportcert", "-alias", "ca", "-keystore", "ca.p12", "-rfc", "-file", "ca.pem"
            },
            store));
    Files.writeString(
        dir.resolve("server-chain.pem"),
        Files.readString(dir.resolve("server.pem")) + Files.readString(dir.resolve("ca.pem")));
    KeyStore server = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(dir.resolve("server.p12"))) {
      server.load(in, PASSWORD.toCharArray());
    }
    byte[] key = server.getKey("server", PASSWORD.toCharArray()).getEncoded();
    Files.writeString(
        dir.resolve("server-key.pem"),
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(key)
            + "\n-----END PRIVATE KEY-----\n");
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private ServiceProcess start(MeshService service, Map<String, String> settings) throws Exception {
    int[] ports = FreePorts.pick(2);
    ServiceEndpoint endpoint =
        new ServiceEndpoint(service.name().toLowerCase(), "localhost", ports[0], ports[1]);
    Map<String, String> env = new java.util.HashMap<>(settings);
    env.put("QUARKUS_GRPC_SERVER_SSL_CERTIFICATE", dir.resolve("server-chain.pem").toString());
    env.put("QUARKUS_GRPC_SERVER_SSL_KEY", dir.resolve("server-key.pem").toString());
    Path home = Path.of(System.getProperty("piddm.home", "..")).toAbsolutePath().normalize();
    ServiceProcess process =
        ServiceProcess.start(
            service, home, endpoint, dir.resolve(service.name().toLowerCase() + ".log"), env);
    started.add(process);
    // the readiness probe speaks TLS through the process-wide CA (GrpcChannels)
    process.awaitServing(Duration.ofMinutes(2));
    return process;
  }

  /**
   * The Python client ({@code clients/python}) with {@code tls=} the CA file reaches both services,
   * and without it is refused; only where {@code /usr/bin/python3} has grpc and numpy.
   */
  private void pythonOverTls(String sampler, String registry, Path ca) throws Exception {
    String python = "/usr/bin/python3";
    if (!Files.isExecutable(Path.of(python))
        || new ProcessBuilder(python, "-c", "import grpc, numpy").start().waitFor() != 0) {
      System.out.println("TlsIT: no Python client check (" + python + " lacks grpc or numpy)");
      return;
    }
    String script =
        String.join(
            "\n",
            "import sys, piddm",
            "sampler, registry, ca = sys.argv[1:]",
            "print(piddm.Sampler(sampler, tls=ca).generate(2, seed=1).model.version)",
            "print(piddm.Registry(registry, tls=ca).alias('" + MODEL + "', 'production').version)",
            "try:",
            "    piddm.Sampler(sampler, timeout=10).generate(1)",
            "    print('plaintext answered')",
            "except piddm.Unavailable:",
            "    print('plaintext refused')");
    Path home = Path.of(System.getProperty("piddm.home", "..")).toAbsolutePath().normalize();
    ProcessBuilder builder =
        new ProcessBuilder(python, "-c", script, sampler, registry, ca.toString())
            .redirectErrorStream(true);
    builder.environment().put("PYTHONPATH", home.resolve("clients/python").toString());
    builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    Process process = builder.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(out).isZero();
    assertThat(out.strip().lines()).as(out).containsExactly("2", "2", "plaintext refused");
  }

  @Test
  void uploadAliasMoveAndGenerateGoOverTlsAndPlaintextIsRefused() throws Exception {
    makeCertificates();
    Path ca = dir.resolve("ca.pem");
    System.setProperty(GrpcChannels.CA_FILE_PROPERTY, ca.toString());

    ServiceProcess registry =
        start(
            MeshService.REGISTRY,
            Map.of(
                "PIDDM_REGISTRY_DATA_DIR",
                dir.resolve("registry-data").toString(),
                "PIDDM_REGISTRY_TOKEN",
                TOKEN,
                "PIDDM_REGISTRY_WATCH_POLL_INTERVAL",
                "200ms"));
    String registryTarget = "localhost:" + registry.endpoint().grpcPort();
    Path v1 = SamplerNode.exportStudent(dir.resolve("v1"), UNetSpec.tiny(2), 16, 5);
    Path v2 = SamplerNode.exportStudent(dir.resolve("v2"), UNetSpec.tiny(2), 16, 6);
    try (RegistryClient tls = new RegistryClient(registryTarget, TOKEN, Optional.of(ca))) {
      tls.publish(MODEL, RegistryClient.filesOf(v1), SamplerRolloutIT.base(), "production");
      tls.publish(MODEL, RegistryClient.filesOf(v2), SamplerRolloutIT.base(), "");
    }
    try (RegistryClient plaintext = new RegistryClient(registryTarget, TOKEN, Optional.empty())) {
      assertThatThrownBy(
              () ->
                  plaintext
                      .stub()
                      .withDeadlineAfter(10, TimeUnit.SECONDS)
                      .listModels(ListModelsRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }

    ServiceProcess sampler =
        start(
            MeshService.SAMPLER,
            Map.of(
                "PIDDM_SAMPLER_PROVIDER",
                "cpu",
                "PIDDM_SAMPLER_INTRA_OP_THREADS",
                "1",
                "PIDDM_SAMPLER_REGISTRY",
                registryTarget,
                "PIDDM_SAMPLER_REGISTRY_CA_FILE",
                ca.toString(),
                "PIDDM_SAMPLER_MODEL",
                MODEL,
                "PIDDM_SAMPLER_CACHE_DIR",
                dir.resolve("cache").toString()));
    ManagedChannel channel =
        GrpcChannels.forTarget("localhost:" + sampler.endpoint().grpcPort(), Optional.of(ca))
            .build();
    try {
      var stub = SamplerServiceGrpc.newBlockingStub(channel);
      assertThat(SamplerRolloutIT.generate(stub).getModel().getVersion()).isEqualTo(1);
      try (RegistryClient tls = new RegistryClient(registryTarget, TOKEN, Optional.of(ca))) {
        tls.setAlias(MODEL, "production", 2, "over TLS");
      }
      SamplerRolloutIT.awaitTrue(
          () -> SamplerRolloutIT.status(channel).getModel().getVersion() == 2,
          Duration.ofSeconds(60),
          "the sampler follows the alias over TLS");
      assertThat(
              stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                  .generate(GenerateRequest.newBuilder().setCount(2).setSeed(1).build())
                  .getModel()
                  .getVersion())
          .isEqualTo(2);
      pythonOverTls("localhost:" + sampler.endpoint().grpcPort(), registryTarget, ca);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    ManagedChannel plaintext =
        GrpcChannels.forTarget("localhost:" + sampler.endpoint().grpcPort(), Optional.empty())
            .build();
    try {
      assertThatThrownBy(
              () ->
                  SamplerServiceGrpc.newBlockingStub(plaintext)
                      .withDeadlineAfter(10, TimeUnit.SECONDS)
                      .generate(GenerateRequest.newBuilder().setCount(1).build()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    } finally {
      plaintext.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
