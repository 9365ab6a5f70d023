package io.piddm.it.sampler;

import static org.assertj.core.api.Assertions.assertThat;

import io.piddm.api.registry.RegistryClient;
import io.piddm.cli.mesh.MeshService;
import io.piddm.cli.mesh.ServiceProcess;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.it.MeshHarness;
import io.piddm.probe.ServiceEndpoint;
import io.piddm.proto.v1.GenerateResponse;
import io.piddm.proto.v1.ObservedPoint;
import io.piddm.proto.v1.PointMask;
import io.piddm.proto.v1.ReconstructRequest;
import io.piddm.proto.v1.ReconstructResponse;
import io.piddm.proto.v1.SamplerServiceGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * The registry dies (SIGKILL) while clients call Generate and Reconstruct on a sampler that follows
 * it: the sampler keeps serving the version it holds, and once the registry is back (same data,
 * same port) an alias move still reaches it. No request may fail at any point.
 */
class SamplerRegistryCrashIT {

  static final String TOKEN = "crash-token";
  static final String MODEL = "darcy-crash";
  static final int CLIENTS = 8;

  @RegisterExtension
  static final MeshHarness mesh =
      new MeshHarness()
          .withEnvironment(MeshService.REGISTRY, "PIDDM_REGISTRY_TOKEN", TOKEN)
          .withEnvironment(MeshService.REGISTRY, "PIDDM_REGISTRY_WATCH_POLL_INTERVAL", "200ms");

  @Test
  void theSamplerServesThroughARegistryCrashAndFollowsTheAliasAfterIt() throws Exception {
    Path work = mesh.workDirectory();
    Path v1 = SamplerNode.exportStudent(work.resolve("v1"), UNetSpec.tiny(2), 16, 5);
    Path v2 = SamplerNode.exportStudent(work.resolve("v2"), UNetSpec.tiny(2), 16, 6);
    ServiceProcess registry = mesh.mesh().get(MeshService.REGISTRY);
    ServiceEndpoint endpoint = registry.endpoint();
    String target = endpoint.host() + ":" + endpoint.grpcPort();
    try (RegistryClient publisher = new RegistryClient(target, TOKEN)) {
      publisher.publish(MODEL, RegistryClient.filesOf(v1), SamplerRolloutIT.base(), "production");
      publisher.publish(MODEL, RegistryClient.filesOf(v2), SamplerRolloutIT.base(), "");
    }

    ServiceProcess restarted = null;
    try (SamplerNode sampler =
        SamplerNode.start(
            work.resolve("crash-sampler.log"),
            Map.of(
                "PIDDM_SAMPLER_REGISTRY",
                target,
                "PIDDM_SAMPLER_MODEL",
                MODEL,
                "PIDDM_SAMPLER_RECONCILE_INTERVAL",
                "5s",
                "PIDDM_SAMPLER_CACHE_DIR",
                work.resolve("cache").toString()))) {
      var stub = SamplerServiceGrpc.newBlockingStub(sampler.channel());
      assertThat(SamplerRolloutIT.generate(stub).getModel().getVersion()).isEqualTo(1);

      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger generated = new AtomicInteger();
      AtomicInteger reconstructed = new AtomicInteger();
      ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
      Map<Long, AtomicInteger> answersByVersion = new ConcurrentHashMap<>();
      CountDownLatch stopped = new CountDownLatch(CLIENTS);
      List<Thread> clients = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        boolean reconstructs = c % 4 == 0;
        Thread client =
            new Thread(
                () -> {
                  try {
                    while (running.get()) {
                      try {
                        long version;
                        if (reconstructs) {
                          version = reconstruct(stub);
                          reconstructed.incrementAndGet();
                        } else {
                          GenerateResponse r = SamplerRolloutIT.generate(stub);
                          version = r.getModel().getVersion();
                          generated.incrementAndGet();
                        }
                        answersByVersion
                            .computeIfAbsent(version, v -> new AtomicInteger())
                            .incrementAndGet();
                      } catch (RuntimeException e) {
                        failures.add(e.toString());
                      }
                    }
                  } finally {
                    stopped.countDown();
                  }
                },
                "client-" + c);
        client.setDaemon(true);
        client.start();
        clients.add(client);
      }
      Thread.sleep(1000);

      ProcessHandle handle = ProcessHandle.of(registry.pid()).orElseThrow();
      handle.destroyForcibly();
      handle.onExit().get(30, TimeUnit.SECONDS);
      int beforeOutage = generated.get() + reconstructed.get();
      // the sampler's watch and reconcile now fail against a dead registry
      Thread.sleep(7000);
      int duringOutage = generated.get() + reconstructed.get() - beforeOutage;

      Path home = Path.of(System.getProperty("piddm.home", "..")).toAbsolutePath().normalize();
      restarted =
          ServiceProcess.start(
              MeshService.REGISTRY,
              home,
              endpoint,
              work.resolve("logs").resolve("registry-restarted.log"),
              Map.of(
                  MeshHarness.REGISTRY_DATA_DIR,
                  work.resolve("registry-data").toString(),
                  "PIDDM_REGISTRY_TOKEN",
                  TOKEN,
                  "PIDDM_REGISTRY_WATCH_POLL_INTERVAL",
                  "200ms"));
      restarted.awaitServing(Duration.ofMinutes(2));
      long movedAt = System.nanoTime();
      try (RegistryClient publisher = new RegistryClient(target, TOKEN)) {
        publisher.setAlias(MODEL, "production", 2, "after the crash");
      }
      SamplerRolloutIT.awaitTrue(
          () -> SamplerRolloutIT.status(sampler.channel()).getModel().getVersion() == 2,
          Duration.ofSeconds(60),
          "the sampler serves v2 after the restarted registry moved the alias");
      double followSeconds = (System.nanoTime() - movedAt) / 1e9;
      Thread.sleep(1000);
      running.set(false);
      assertThat(stopped.await(60, TimeUnit.SECONDS)).isTrue();
      System.out.printf(
          "registry crash: %d Generate and %d Reconstruct answered, %d during the 7 s outage;"
              + " v2 served %.1f s after the alias moved; answers per version %s%n",
          generated.get(), reconstructed.get(), duringOutage, followSeconds, answersByVersion);

      assertThat(failures).as("failed requests").isEmpty();
      assertThat(duringOutage).as("requests answered while the registry was down").isPositive();
      assertThat(answersByVersion.keySet()).containsExactlyInAnyOrder(1L, 2L);
    } finally {
      if (restarted != null) {
        restarted.stop(Duration.ofSeconds(20));
      }
    }
  }

  /** A two-step Reconstruct from one observed point; returns the version that answered. */
  static long reconstruct(SamplerServiceGrpc.SamplerServiceBlockingStub stub) {
    var stream =
        stub.withDeadlineAfter(60, TimeUnit.SECONDS)
            .reconstruct(
                ReconstructRequest.newBuilder()
                    .setObservations(CliSampleIT.tensor(new float[2 * 16 * 16], 2, 16, 16))
                    .setPoints(
                        PointMask.newBuilder()
                            .addPoints(
                                ObservedPoint.newBuilder().setChannel(1).setRow(3).setCol(4)))
                    .setLambdaObs(1)
                    .setSteps(2)
                    .setLearningRate(0.05)
                    .setSeed(4)
                    .build());
    ReconstructResponse last = null;
    while (stream.hasNext()) {
      last = stream.next();
    }
    if (last == null || !last.hasResult()) {
      throw new IllegalStateException("Reconstruct ended without a result");
    }
    return last.getResult().getModel().getVersion();
  }
}
