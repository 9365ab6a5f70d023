package io.piddm.it.sampler;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.piddm.api.registry.RegistryClient;
import io.piddm.cli.mesh.MeshService;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.it.MeshHarness;
import io.piddm.probe.ServiceEndpoint;
import io.piddm.proto.v1.GenerateRequest;
import io.piddm.proto.v1.GenerateResponse;
import io.piddm.proto.v1.ModelManifest;
import io.piddm.proto.v1.ModelStatusRequest;
import io.piddm.proto.v1.ModelStatusResponse;
import io.piddm.proto.v1.SamplerServiceGrpc;
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
    Path v1 = SamplerNode.exportStudent(work.resolve("v1"), UNetSpec.tiny(2), 16, 5);
    Path v2 = SamplerNode.exportStudent(work.resolve("v2"), UNetSpec.tiny(2), 16, 6);
    Path v3 = SamplerNode.exportStudent(work.resolve("v3"), UNetSpec.tiny(2), 16, 7);
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

      try (SamplerNode sampler =
          SamplerNode.start(
              work.resolve("following-sampler.log"),
              Map.of(
                  "PIDDM_SAMPLER_REGISTRY",
                  registryTarget,
                  "PIDDM_SAMPLER_MODEL",
                  MODEL,
                  "PIDDM_SAMPLER_RECONCILE_INTERVAL",
                  "60s",
                  "PIDDM_SAMPLER_CACHE_DIR",
                  work.resolve("cache").toString(),
                  "PIDDM_SAMPLER_MAX_QUEUE",
                  "256"))) {
        ManagedChannel channel = sampler.channel();
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
            () -> sampler.metric("piddm_sampler_models_open") == 1,
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
        assertThat(sampler.metric("piddm_sampler_load_failures_total")).isGreaterThanOrEqualTo(1);
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
