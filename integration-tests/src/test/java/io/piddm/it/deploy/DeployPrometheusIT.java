package io.piddm.it.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.piddm.api.registry.RegistryClient;
import io.piddm.cli.mesh.MeshService;
import io.piddm.cli.mesh.ServiceProcess;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.export.OnnxExporter;
import io.piddm.it.FreePorts;
import io.piddm.it.deploy.DeployFiles.KnownMetric;
import io.piddm.it.deploy.DeployFiles.PanelQuery;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpecs;
import io.piddm.probe.ServiceEndpoint;
import io.piddm.proto.v1.GenerateRequest;
import io.piddm.proto.v1.ListModelsRequest;
import io.piddm.proto.v1.ModelManifest;
import io.piddm.proto.v1.SamplerServiceGrpc;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus (the Debian package's binary; skipped when there is none) scraping a real
 * registry and sampler, each started from its jar on free ports: the sampler follows a tiny student
 * published to the registry, clients call Generate and ListModels, Prometheus scrapes every second,
 * and its HTTP API must then give a finite positive p50 of the gRPC latency histogram, as the
 * Grafana dashboard computes it. Every dashboard query must be valid PromQL to this Prometheus, and
 * every registry and sampler metric the dashboard relies on must exist.
 */
class DeployPrometheusIT {

  static final String TOKEN = "deploy-it-token";
  static final String MODEL = "darcy-deploy";
  static final String P50 =
      "histogram_quantile(0.5, sum by (le) (rate(grpc_server_processing_duration_seconds_bucket[30s])))";
  static final String GENERATE_P99 =
      "histogram_quantile(0.99, sum by (le) (rate(piddm_sampler_generate_seconds_bucket[30s])))";

  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void prometheusComputesLatencyQuantilesFromTheServicesHistograms(@TempDir Path work)
      throws Exception {
    Optional<Path> prometheus = DeployFiles.executable("prometheus", "/usr/bin/prometheus");
    assumeTrue(
        prometheus.isPresent(),
        "no prometheus binary on PATH: the real scrape is skipped (Debian package `prometheus`,"
            + " which .ci/run installs when it runs as root)");

    int[] ports = FreePorts.pick(5);
    ServiceEndpoint registryEndpoint =
        new ServiceEndpoint("registry", "localhost", ports[0], ports[1]);
    ServiceEndpoint samplerEndpoint =
        new ServiceEndpoint("sampler", "localhost", ports[2], ports[3]);
    int prometheusPort = ports[4];
    Path logs = work.resolve("logs");
    List<ServiceProcess> started = new ArrayList<>();
    Process prometheusProcess = null;
    try {
      ServiceProcess registry =
          ServiceProcess.start(
              MeshService.REGISTRY,
              DeployFiles.HOME,
              registryEndpoint,
              logs.resolve("registry.log"),
              Map.of(
                  "PIDDM_REGISTRY_DATA_DIR",
                  work.resolve("registry-data").toString(),
                  "PIDDM_REGISTRY_TOKEN",
                  TOKEN));
      started.add(registry);
      registry.awaitServing(Duration.ofMinutes(2));

      Path student = exportStudent(work.resolve("student"));
      try (RegistryClient publisher = new RegistryClient(registryEndpoint.grpcTarget(), TOKEN)) {
        publisher.publish(
            MODEL,
            RegistryClient.filesOf(student),
            ModelManifest.newBuilder().putMetrics("pde_error", 0.5).build(),
            "production");
      }

      ServiceProcess sampler =
          ServiceProcess.start(
              MeshService.SAMPLER,
              DeployFiles.HOME,
              samplerEndpoint,
              logs.resolve("sampler.log"),
              Map.of(
                  "PIDDM_SAMPLER_REGISTRY",
                  registryEndpoint.grpcTarget(),
                  "PIDDM_SAMPLER_MODEL",
                  MODEL,
                  "PIDDM_SAMPLER_CACHE_DIR",
                  work.resolve("sampler-cache").toString(),
                  "PIDDM_SAMPLER_PROVIDER",
                  "cpu",
                  "PIDDM_SAMPLER_INTRA_OP_THREADS",
                  "1"));
      started.add(sampler);
      sampler.awaitServing(Duration.ofMinutes(2));

      Path config = work.resolve("prometheus.yml");
      Files.writeString(
          config,
          """
          global:
            scrape_interval: 1s
            evaluation_interval: 1s
          scrape_configs:
            - job_name: registry
              metrics_path: /q/metrics
              static_configs:
                - targets: ["localhost:%d"]
            - job_name: sampler
              metrics_path: /q/metrics
              static_configs:
                - targets: ["localhost:%d"]
          """
              .formatted(registryEndpoint.httpPort(), samplerEndpoint.httpPort()));
      Path data = Files.createDirectories(work.resolve("prometheus-data"));
      Path prometheusLog = logs.resolve("prometheus.log");
      prometheusProcess =
          new ProcessBuilder(
                  prometheus.get().toString(),
                  "--config.file=" + config,
                  "--storage.tsdb.path=" + data,
                  "--web.listen-address=127.0.0.1:" + prometheusPort,
                  "--storage.tsdb.retention.time=1h")
              .redirectErrorStream(true)
              .redirectOutput(prometheusLog.toFile())
              .start();
      String api = "http://127.0.0.1:" + prometheusPort + "/api/v1/";
      awaitTargetsUp(api, prometheusProcess, prometheusLog);

      // Clients keep both histograms busy while the test asks Prometheus.
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger calls = new AtomicInteger();
      AtomicInteger failures = new AtomicInteger();
      List<Thread> clients = new ArrayList<>();
      ManagedChannel samplerChannel =
          ManagedChannelBuilder.forTarget(samplerEndpoint.grpcTarget()).usePlaintext().build();
      try (RegistryClient reader = new RegistryClient(registryEndpoint.grpcTarget(), null)) {
        for (int c = 0; c < 3; c++) {
          int client = c;
          Thread thread =
              new Thread(
                  () -> {
                    var stub = SamplerServiceGrpc.newBlockingStub(samplerChannel);
                    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                    while (running.get() && System.nanoTime() < end) {
                      try {
                        stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                            .generate(
                                GenerateRequest.newBuilder()
                                    .setCount(1 + client)
                                    .setSeed(calls.get())
                                    .build());
                        reader.stub().listModels(ListModelsRequest.getDefaultInstance());
                        calls.incrementAndGet();
                        Thread.sleep(20);
                      } catch (InterruptedException e) {
                        return;
                      } catch (RuntimeException e) {
                        failures.incrementAndGet();
                      }
                    }
                  },
                  "deploy-client-" + c);
          thread.setDaemon(true);
          thread.start();
          clients.add(thread);
        }
        double p50;
        double generateP99;
        try {
          p50 = awaitPositive(api, P50, Duration.ofSeconds(60));
          generateP99 = awaitPositive(api, GENERATE_P99, Duration.ofSeconds(30));
        } finally {
          running.set(false);
          for (Thread thread : clients) {
            thread.join(TimeUnit.SECONDS.toMillis(40));
          }
          samplerChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        System.out.printf(
            "prometheus: %d calls, p50 gRPC latency %.6f s, p99 Generate %.6f s%n",
            calls.get(), p50, generateP99);
        assertThat(failures.get()).as("failed client calls").isZero();
        assertThat(p50).isFinite().isPositive().isLessThan(5.0);
        assertThat(generateP99).isFinite().isPositive();
      }

      // Every dashboard query is PromQL this Prometheus accepts.
      for (PanelQuery query : DeployFiles.panelQueries()) {
        JsonNode answer = query(api, query.runnable());
        assertThat(answer.path("status").asText())
            .as("%s / %s: %s -> %s", query.dashboard(), query.panel(), query.runnable(), answer)
            .isEqualTo("success");
      }

      // The metrics the dashboard takes from the registry and the sampler exist.
      Set<String> names = new HashSet<>();
      JsonNode values = get(api + "label/__name__/values");
      values.path("data").forEach(v -> names.add(v.asText()));
      for (KnownMetric metric : DeployFiles.knownMetrics().values()) {
        boolean scraped =
            Set.of("registry", "sampler", "service", "prometheus").contains(metric.source());
        if (scraped && metric.waitsFor() == null) {
          assertThat(names)
              .as("%s (%s) is exported and scraped", metric.name(), metric.source())
              .contains(metric.name());
        }
      }
    } finally {
      if (prometheusProcess != null) {
        stop(prometheusProcess);
      }
      for (int i = started.size() - 1; i >= 0; i--) {
        started.get(i).stop(Duration.ofSeconds(20));
      }
    }
  }

  /** A Darcy student with random weights, written by the real exporter. */
  static Path exportStudent(Path dir) throws Exception {
    Files.createDirectories(dir);
    UNetSpec spec = UNetSpec.tiny(2);
    OnnxExporter.exportStudent(
        spec,
        new UNet(spec).perturbedWeights(11),
        new double[] {7.5, 0.02},
        new double[] {1.0, 0.01},
        ResidualSpecs.consistent(Pde.DARCY),
        new Grid(16),
        dir);
    return dir;
  }

  void awaitTargetsUp(String api, Process prometheus, Path log) throws Exception {
    Instant deadline = Instant.now().plusSeconds(60);
    String last = "no answer";
    while (Instant.now().isBefore(deadline)) {
      if (!prometheus.isAlive()) {
        throw new AssertionError(
            "prometheus exited with " + prometheus.exitValue() + ":\n" + Files.readString(log));
      }
      try {
        JsonNode targets = get(api + "targets?state=active").path("data").path("activeTargets");
        last = targets.toString();
        int up = 0;
        for (JsonNode target : targets) {
          if ("up".equals(target.path("health").asText())) {
            up++;
          }
        }
        if (targets.size() == 2 && up == 2) {
          return;
        }
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(500);
    }
    throw new AssertionError("targets not up after 60 s: " + last + "\n" + Files.readString(log));
  }

  /** Runs {@code promql} until it gives one finite positive sample. */
  double awaitPositive(String api, String promql, Duration timeout) throws Exception {
    Instant deadline = Instant.now().plus(timeout);
    JsonNode last = null;
    while (Instant.now().isBefore(deadline)) {
      last = query(api, promql);
      JsonNode result = last.path("data").path("result");
      if ("success".equals(last.path("status").asText()) && result.size() == 1) {
        double value = Double.parseDouble(result.get(0).path("value").get(1).asText());
        if (Double.isFinite(value) && value > 0) {
          return value;
        }
      }
      Thread.sleep(1000);
    }
    throw new AssertionError(promql + " gave no finite positive value: " + last);
  }

  JsonNode query(String api, String promql) throws IOException, InterruptedException {
    return get(api + "query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
  }

  JsonNode get(String url) throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(response.body());
  }

  static void stop(Process process) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
