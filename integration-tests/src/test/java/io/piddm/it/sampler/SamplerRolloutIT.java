package io.piddm.it.sampler;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.piddm.cli.mesh.MeshService;
import io.piddm.cli.mesh.ServiceProcess;
import io.piddm.cli.registry.RegistryClient;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.export.OnnxExporter;
import io.piddm.it.FreePorts;
import io.piddm.it.MeshHarness;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpecs;
import io.piddm.probe.ServiceEndpoint;
import io.piddm.proto.v1.GenerateRequest;
import io.piddm.proto.v1.GenerateResponse;
import io.piddm.proto.v1.ModelManifest;
import io.piddm.proto.v1.ModelStatusRequest;
import io.piddm.proto.v1.ModelStatusResponse;
import io.piddm.proto.v1.SamplerServiceGrpc;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A sampler following {@code production} of a model in a real registry, over real sockets: it
 * serves v1, moves to v2 when the alias moves (pushed by WatchAliases: the periodic reconcile is
 * set to a minute) while 32 clients keep calling Generate, and refuses a corrupted v3 while v2
 * keeps serving.
 */
class SamplerRolloutIT {

  static final String TOKEN = "rollout-token";
  static final String MODEL = "darcy-rollout";
  static final int CLIENTS = 32;
  static final long SEED = 42;

  @RegisterExtension
  static final MeshHarness mesh =
      new MeshHarness()
          .withEnvironment(MeshService.REGISTRY, "PIDDM_REGISTRY_TOKEN", TOKEN)
          .withEnvironment(MeshService.REGISTRY, "PIDDM_REGISTRY_WATCH_POLL_INTERVAL", "200ms");

  @Test
  void followsTheAliasUnderLoadAndRefusesACorruptedVersion() throws Exception {
    Path work = mesh.workDirectory();
    Path v1 = exportStudent(work.resolve("v1"), 5);
    Path v2 = exportStudent(work.resolve("v2"), 6);
    Path v3 = exportStudent(work.resolve("v3"), 7);
    Files.write(v3.resolve("model.onnx"), "not an ONNX model".getBytes());

    ServiceEndpoint registry = mesh.endpoint(MeshService.REGISTRY);
    String registryTarget = registry.host() + ":" + registry.grpcPort();
    try (RegistryClient publisher = new RegistryClient(registryTarget, TOKEN)) {
      long first =
          publisher
              .publish(MODEL, RegistryClient.filesOf(v1), base(), "production")
              .getManifest()
              .getVersion();
      assertThat(first).isEqualTo(1);

      int[] ports = FreePorts.pick(2);
      ServiceEndpoint endpoint = new ServiceEndpoint("sampler", "localhost", ports[0], ports[1]);
      ServiceProcess sampler =
          ServiceProcess.start(
              MeshService.SAMPLER,
              Path.of(System.getProperty("piddm.home", "..")).toAbsolutePath().normalize(),
              endpoint,
              work.resolve("following-sampler.log"),
              Map.of(
                  "PIDDM_SAMPLER_REGISTRY", registryTarget,
                  "PIDDM_SAMPLER_MODEL", MODEL,
                  "PIDDM_SAMPLER_PROVIDER", "cpu",
                  "PIDDM_SAMPLER_INTRA_OP_THREADS", "1",
                  "PIDDM_SAMPLER_RECONCILE_INTERVAL", "60s",
                  "PIDDM_SAMPLER_CACHE_DIR", work.resolve("cache").toString(),
                  "PIDDM_SAMPLER_MAX_QUEUE", "256"));
      ManagedChannel channel =
          ManagedChannelBuilder.forAddress("localhost", ports[0]).usePlaintext().build();
      try {
        sampler.awaitServing(Duration.ofMinutes(2));
        var stub = SamplerServiceGrpc.newBlockingStub(channel);
        GenerateResponse firstAnswer = generate(stub);
        assertThat(firstAnswer.getModel().getVersion()).isEqualTo(1);
        ByteString expectedV1 = firstAnswer.getFields().getData();

        long second =
            publisher
                .publish(MODEL, RegistryClient.filesOf(v2), base(), "")
                .getManifest()
                .getVersion();
        assertThat(second).isEqualTo(2);

        // 32 clients call Generate with one seed; each answer's bytes must be those of the version
        // it is labelled with.
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger failures = new AtomicInteger();
        ConcurrentLinkedQueue<String> failureMessages = new ConcurrentLinkedQueue<>();
        Map<Long, AtomicInteger> answersByVersion = new ConcurrentHashMap<>();
        Map<Long, ConcurrentLinkedQueue<ByteString>> bytesByVersion = new ConcurrentHashMap<>();
        CountDownLatch stopped = new CountDownLatch(CLIENTS);
        for (int c = 0; c < CLIENTS; c++) {
          Thread client =
              new Thread(
                  () -> {
                    try {
                      while (running.get()) {
                        try {
                          GenerateResponse r = generate(stub);
                          long version = r.getModel().getVersion();
                          answersByVersion
                              .computeIfAbsent(version, v -> new AtomicInteger())
                              .incrementAndGet();
                          var seen =
                              bytesByVersion.computeIfAbsent(
                                  version, v -> new ConcurrentLinkedQueue<>());
                          if (seen.size() < 200) {
                            seen.add(r.getFields().getData());
                          }
                        } catch (RuntimeException e) {
                          failures.incrementAndGet();
                          failureMessages.add(e.toString());
                        }
                      }
                    } finally {
                      stopped.countDown();
                    }
                  },
                  "client-" + c);
          client.setDaemon(true);
          client.start();
        }
        Thread.sleep(1500);
        long movedAt = System.nanoTime();
        publisher.setAlias(MODEL, "production", 2, "rollout test");
        awaitTrue(
            () -> status(channel).getModel().getVersion() == 2,
            Duration.ofSeconds(30),
            "the sampler serves v2 after the alias moved");
        double switchSeconds = (System.nanoTime() - movedAt) / 1e9;
        Thread.sleep(1500);
        running.set(false);
        assertThat(stopped.await(60, TimeUnit.SECONDS)).isTrue();
        System.out.printf(
            "rollout: v2 served %.1f s after the alias moved; answers per version %s%n",
            switchSeconds, answersByVersion);

        assertThat(failures.get()).as("failed requests: %s", failureMessages).isZero();
        assertThat(answersByVersion.keySet()).containsExactlyInAnyOrder(1L, 2L);
        assertThat(switchSeconds)
            .as("pushed by WatchAliases, not the 60 s reconcile")
            .isLessThan(20);
        ByteString expectedV2 = bytesByVersion.get(2L).peek();
        assertThat(expectedV2).isNotEqualTo(expectedV1);
        assertThat(bytesByVersion.get(1L)).allMatch(expectedV1::equals);
        assertThat(bytesByVersion.get(2L)).allMatch(expectedV2::equals);
        awaitTrue(
            () -> metric(endpoint, "piddm_sampler_models_open") == 1,
            Duration.ofSeconds(20),
            "v1's sessions are closed once its requests drained");

        // A version whose model.onnx is not a model: refused, v2 keeps serving.
        long third =
            publisher
                .publish(MODEL, RegistryClient.filesOf(v3), base(), "")
                .getManifest()
                .getVersion();
        publisher.setAlias(MODEL, "production", third, "corrupted on purpose");
        awaitTrue(
            () ->
                status(channel).getRecentFailuresList().stream()
                    .anyMatch(f -> f.getVersion() == third),
            Duration.ofSeconds(30),
            "the corrupted version's load failure is reported");
        GenerateResponse after = generate(stub);
        assertThat(after.getModel().getVersion()).isEqualTo(2);
        assertThat(after.getFields().getData()).isEqualTo(expectedV2);
        assertThat(status(channel).getModel().getVersion()).isEqualTo(2);
        assertThat(metric(endpoint, "piddm_sampler_load_failures_total")).isGreaterThanOrEqualTo(1);
      } finally {
        channel.shutdownNow();
        sampler.stop(Duration.ofSeconds(20));
      }
    }
  }

  static ModelManifest base() {
    return ModelManifest.newBuilder().putMetrics("pde_error", 0.5).build();
  }

  static GenerateResponse generate(SamplerServiceGrpc.SamplerServiceBlockingStub stub) {
    return stub.withDeadlineAfter(30, TimeUnit.SECONDS)
        .generate(GenerateRequest.newBuilder().setCount(1).setSeed(SEED).build());
  }

  static ModelStatusResponse status(ManagedChannel channel) {
    return SamplerServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .modelStatus(ModelStatusRequest.getDefaultInstance());
  }

  /** A tiny Darcy student (16², weights from {@code seed}) written by the real exporter. */
  static Path exportStudent(Path dir, long seed) throws Exception {
    Files.createDirectories(dir);
    UNetSpec spec = UNetSpec.tiny(2);
    OnnxExporter.exportStudent(
        spec,
        new UNet(spec).perturbedWeights(seed),
        new double[] {7.5, 0.02},
        new double[] {1.0, 0.01},
        ResidualSpecs.consistent(Pde.DARCY),
        new Grid(16),
        dir);
    return dir;
  }

  /** A gauge or counter from the service's Prometheus text, summed over its label sets. */
  static double metric(ServiceEndpoint endpoint, String name) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(endpoint.http("/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
    double sum = 0;
    boolean found = false;
    for (String line : response.body().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        found = true;
      }
    }
    if (!found) {
      throw new AssertionError(name + " is not in " + endpoint.http("/q/metrics"));
    }
    return sum;
  }

  interface Check {
    boolean holds() throws Exception;
  }

  static void awaitTrue(Check check, Duration timeout, String what) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (check.holds()) {
          return;
        }
      } catch (Exception e) {
        last = e;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("timed out waiting until " + what, last);
  }
}
