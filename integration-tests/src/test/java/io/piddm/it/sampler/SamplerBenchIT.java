package io.piddm.it.sampler;

import io.piddm.diffusion.net.UNetSpec;
import io.piddm.inference.OnnxSessions;
import io.piddm.inference.StudentModel;
import io.piddm.proto.v1.GenerateRequest;
import io.piddm.proto.v1.ModelStatusRequest;
import io.piddm.results.BenchTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generate over gRPC on loopback at 32² (preset32 student, random weights, CPU, one intra-op
 * thread): p50/p99 at batch 1 against in-process ONNX Runtime doing the same work (noise, forward,
 * PDE error), and throughput at 1, 8 and 32 concurrent clients with micro-batching off and on. Runs
 * only when asked:
 *
 * <pre>./mvnw -B verify -pl integration-tests -Dit.test=SamplerBenchIT -Dpiddm.bench=true
 *     -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false</pre>
 *
 * Results are printed, written to integration-tests/target/sampler-bench.txt and, as the table
 * docs/RESULTS.md shows, to docs/results/bench-sampler.json.
 */
@EnabledIfSystemProperty(named = "piddm.bench", matches = "true")
class SamplerBenchIT {

  static final int LATENCY_CALLS = 400;

  /** Calls before timing: both JVMs compile the gRPC path only after several hundred. */
  static final int WARM_UP_CALLS = 600;

  static final long THROUGHPUT_MILLIS = 6000;

  @TempDir Path root;

  @Test
  void bench() throws Exception {
    Path student = SamplerNode.exportStudent(root.resolve("student"), UNetSpec.preset32(2), 32, 3);
    StringBuilder report = new StringBuilder();
    report.append(
        String.format(
            "sampler bench: preset32 Darcy 32², cpu, 1 intra-op thread, %d cores, load %.2f%n",
            Runtime.getRuntime().availableProcessors(),
            java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                .getSystemLoadAverage()));

    double[] local = new double[LATENCY_CALLS];
    try (StudentModel model = StudentModel.open(student, OnnxSessions.Provider.CPU, 1)) {
      model.warmUp();
      for (int i = -50; i < LATENCY_CALLS; i++) {
        long t0 = System.nanoTime();
        float[] x = model.generate(i, 1);
        model.pdeError(x, 0);
        if (i >= 0) {
          local[i] = (System.nanoTime() - t0) / 1e6;
        }
      }
    }
    report.append(
        String.format(
            "in-process ONNX Runtime generate n=1 (+PDE error): p50 %.3f ms p99 %.3f ms%n",
            percentile(local, 50), percentile(local, 99)));
    String scaling = batchScaling(student);
    report.append(scaling);

    // per mode (off, on): floor p50, p50, p99, overhead, server p50, 1/8/32 clients, mean batch
    double[][] measured = new double[2][9];
    for (int batch : new int[] {1, 32}) {
      double[] m = measured[batch > 1 ? 1 : 0];
      try (SamplerNode node =
          SamplerNode.start(
              root.resolve("sampler-batch" + batch + ".log"),
              Map.of(
                  "PIDDM_SAMPLER_MODEL_DIR", student.toString(),
                  "PIDDM_SAMPLER_BATCH_MAX_SIZE", Integer.toString(batch),
                  "PIDDM_SAMPLER_MAX_QUEUE", "256"))) {
        String mode = batch > 1 ? "micro-batching on (max 32, no wait)" : "micro-batching off";
        double[] remote = new double[LATENCY_CALLS];
        double[] server = new double[LATENCY_CALLS];
        for (int i = -WARM_UP_CALLS; i < LATENCY_CALLS; i++) {
          long t0 = System.nanoTime();
          double serverMillis =
              node.stub()
                  .generate(GenerateRequest.newBuilder().setCount(1).setSeed(i).build())
                  .getServerMillis();
          if (i >= 0) {
            remote[i] = (System.nanoTime() - t0) / 1e6;
            server[i] = serverMillis;
          }
        }
        double[] floor = new double[LATENCY_CALLS];
        for (int i = -WARM_UP_CALLS; i < LATENCY_CALLS; i++) {
          long t0 = System.nanoTime();
          node.stub().modelStatus(ModelStatusRequest.getDefaultInstance());
          if (i >= 0) {
            floor[i] = (System.nanoTime() - t0) / 1e6;
          }
        }
        m[0] = percentile(floor, 50);
        m[1] = percentile(remote, 50);
        m[2] = percentile(remote, 99);
        m[3] = percentile(remote, 50) - percentile(local, 50);
        m[4] = percentile(server, 50);
        report.append(
            String.format(
                "gRPC ModelStatus (transport floor, no inference): p50 %.3f ms p99 %.3f ms%n",
                percentile(floor, 50), percentile(floor, 99)));
        report.append(
            String.format(
                "gRPC generate n=1, %s: p50 %.3f ms p99 %.3f ms (overhead over in-process p50"
                    + " %.3f ms); server-side p50 %.3f ms%n",
                mode,
                percentile(remote, 50),
                percentile(remote, 99),
                percentile(remote, 50) - percentile(local, 50),
                percentile(server, 50)));
        int[] clientCounts = {1, 8, 32};
        for (int c = 0; c < clientCounts.length; c++) {
          m[5 + c] = throughput(node, clientCounts[c]);
          report.append(
              String.format(
                  "  %2d clients, %s: %.1f requests/s%n", clientCounts[c], mode, m[5 + c]));
        }
        m[8] =
            node.metric("piddm_sampler_generate_batch_size_sum")
                / Math.max(1, node.metric("piddm_sampler_generate_batch_size_count"));
        report.append(String.format("  mean batch size %.2f%n", m[8]));
      }
    }
    System.out.print(report);
    Files.writeString(
        Path.of("target", "sampler-bench.txt"), report.toString(), StandardCharsets.UTF_8);
    table(measured, local, scaling).write(HOME.resolve("docs"), "sampler");
  }

  private static final Path HOME =
      Path.of(System.getProperty("piddm.home", "..")).toAbsolutePath().normalize();

  /** The RESULTS.md table: one row per measurement, batching off and on side by side. */
  static BenchTable table(double[][] m, double[] local, String scaling) {
    String[] what = {
      "gRPC round trip without inference (ModelStatus) p50, ms",
      "Generate n=1 p50, ms",
      "Generate n=1 p99, ms",
      "p50 overhead over in-process ONNX Runtime, ms (target ≤ 0.5)",
      "server-side p50, ms",
      "throughput, 1 client, requests/s",
      "throughput, 8 clients, requests/s",
      "throughput, 32 clients, requests/s",
      "mean batch size"
    };
    List<List<String>> rows = new ArrayList<>();
    for (int r = 0; r < what.length; r++) {
      rows.add(
          List.of(
              what[r],
              String.format(Locale.ROOT, "%.3g", m[0][r]),
              String.format(Locale.ROOT, "%.3g", m[1][r])));
    }
    double gain = m[1][7] / m[0][7];
    return BenchTable.measured(
        "Sampler over gRPC on loopback (preset32 Darcy 32², CPU, 1 intra-op thread)",
        "./mvnw -B verify -pl integration-tests -Dit.test=SamplerBenchIT -Dpiddm.bench=true"
            + " -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false",
        List.of("measurement", "micro-batching off", "micro-batching on (max 32, no wait)"),
        rows,
        List.of(
            String.format(
                Locale.ROOT,
                "In-process ONNX Runtime generate n=1 with its PDE error: p50 %.3f ms, p99 %.3f ms.",
                percentile(local, 50),
                percentile(local, 99)),
            scaling.strip() + ".",
            String.format(
                Locale.ROOT,
                "gRPC overhead at p50 over in-process (target ≤ 0.5 ms): %s; a gRPC round trip"
                    + " without any inference already takes %.2f ms p50 here.",
                Math.min(m[0][3], m[1][3]) <= 0.5 ? "met" : "not met",
                Math.min(m[0][0], m[1][0])),
            String.format(
                Locale.ROOT,
                "Micro-batching at 32 clients: %.2f× the throughput without (target ≥ 2×: %s). Client"
                    + " and server share the machine's cores.",
                gain,
                gain >= 2 ? "met" : "not met")));
  }

  /**
   * What batching can buy at most: ONNX Runtime's time per field at batch 1, 8 and 32 in process
   * (one intra-op thread, as the sampler runs). Where it stays flat the network is compute-bound
   * and batching saves only the per-request costs around it.
   */
  static String batchScaling(Path student) throws Exception {
    StringBuilder line = new StringBuilder("In-process ONNX Runtime time per field by batch size:");
    try (StudentModel model = StudentModel.open(student, OnnxSessions.Provider.CPU, 1)) {
      model.warmUp();
      double single = 0;
      for (int batch : new int[] {1, 8, 32}) {
        double[] perField = new double[20];
        for (int i = -5; i < perField.length; i++) {
          long t0 = System.nanoTime();
          model.generate(i, batch);
          if (i >= 0) {
            perField[i] = (System.nanoTime() - t0) / 1e6 / batch;
          }
        }
        double p50 = percentile(perField, 50);
        single = batch == 1 ? p50 : single;
        line.append(String.format(" batch %d %.3f ms (%.2fx)", batch, p50, single / p50));
      }
    }
    return line.append(System.lineSeparator()).toString();
  }

  static double throughput(SamplerNode node, int clients) throws InterruptedException {
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong done = new AtomicLong();
    CountDownLatch warm = new CountDownLatch(clients);
    CountDownLatch stopped = new CountDownLatch(clients);
    AtomicLong counting = new AtomicLong(-1);
    for (int c = 0; c < clients; c++) {
      int client = c;
      Thread t =
          new Thread(
              () -> {
                long seed = client * 1_000_000L;
                try {
                  for (int i = 0; i < 5; i++) {
                    node.stub()
                        .generate(GenerateRequest.newBuilder().setCount(1).setSeed(seed++).build());
                  }
                  warm.countDown();
                  while (running.get()) {
                    node.stub()
                        .generate(GenerateRequest.newBuilder().setCount(1).setSeed(seed++).build());
                    if (counting.get() >= 0) {
                      done.incrementAndGet();
                    }
                  }
                } finally {
                  stopped.countDown();
                }
              });
      t.setDaemon(true);
      t.start();
    }
    warm.await();
    long start = System.nanoTime();
    counting.set(0);
    Thread.sleep(THROUGHPUT_MILLIS);
    long count = done.get();
    double seconds = (System.nanoTime() - start) / 1e9;
    running.set(false);
    stopped.await();
    return count / seconds;
  }

  static double percentile(double[] values, double p) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }
}
