package io.piddm.it.registry;

import io.piddm.proto.v1.GetAliasRequest;
import io.piddm.proto.v1.SetAliasRequest;
import io.piddm.results.BenchTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Throughput of a 50 MB artifact each way and GetAlias/SetAlias latency, against the registry jar
 * on loopback with its embedded S3 server. Runs only when asked:
 *
 * <pre>./mvnw -B verify -pl proto,health-probe,cli,integration-tests -Dit.test=RegistryBenchIT
 *     -Dpiddm.bench=true -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false</pre>
 *
 * Results are printed, written to integration-tests/target/registry-bench.txt and, as the table
 * docs/RESULTS.md shows, to docs/results/bench-registry.json.
 */
@EnabledIfSystemProperty(named = "piddm.bench", matches = "true")
class RegistryBenchIT {

  private static final int SIZE = 50 * 1024 * 1024;
  private static final int RUNS = 5;

  @TempDir Path root;

  @Test
  void bench() throws Exception {
    StringBuilder report = new StringBuilder();
    List<List<String>> rows = new ArrayList<>();
    try (RegistryNode node = RegistryNode.start(root.resolve("data"), Map.of())) {
      byte[] data = RegistryIT.bytes(SIZE, 42);
      node.upload("bench", "model.onnx", data, 0.01); // warm-up
      node.download("bench", 1, "model.onnx");
      for (int chunk : new int[] {RegistryNode.CHUNK, 4 * RegistryNode.CHUNK}) {
        double[] up = new double[RUNS];
        double[] down = new double[RUNS];
        for (int i = 0; i < RUNS; i++) {
          long start = System.nanoTime();
          long version =
              node.createVersion(
                      node.asyncWriter(),
                      RegistryNode.messages(
                          "bench",
                          "model.onnx",
                          data,
                          RegistryNode.manifestFor("model.onnx", data, 0.01),
                          chunk))
                  .getManifest()
                  .getVersion();
          up[i] = mbPerSecond(System.nanoTime() - start);
          start = System.nanoTime();
          node.download("bench", version, "model.onnx");
          down[i] = mbPerSecond(System.nanoTime() - start);
        }
        String label = chunk / RegistryNode.CHUNK + " MiB chunks";
        report.append(line("upload 50 MB, " + label + " (MB/s)", up));
        report.append(line("download 50 MB, 1 MiB chunks, sha256 checked (MB/s)", down));
        rows.add(row("upload 50 MB, " + label + ", MB/s (target ≥ 100)", up));
        rows.add(
            row(
                "download 50 MB after it (1 MiB chunks, sha256 checked), MB/s (target ≥ 100)",
                down));
      }

      // a stub per call: each carries a deadline counted from when the stub was made
      long revision = 0;
      List<Double> set = new ArrayList<>();
      for (int i = 0; i < 550; i++) {
        long start = System.nanoTime();
        revision =
            node.writer()
                .setAlias(
                    SetAliasRequest.newBuilder()
                        .setModelName("bench")
                        .setAlias("production")
                        .setVersion(1 + (i % 6))
                        .setExpectedRevision(revision)
                        .build())
                .getAlias()
                .getRevision();
        if (i >= 50) {
          set.add((System.nanoTime() - start) / 1e6);
        }
      }
      List<Double> get = new ArrayList<>();
      GetAliasRequest request =
          GetAliasRequest.newBuilder().setModelName("bench").setAlias("production").build();
      for (int i = 0; i < 1100; i++) {
        long start = System.nanoTime();
        node.reader().getAlias(request);
        if (i >= 100) {
          get.add((System.nanoTime() - start) / 1e6);
        }
      }
      report.append(latency("GetAlias", get));
      report.append(latency("SetAlias (CAS, history entry + alias write)", set));
      rows.add(latencyRow("GetAlias, ms", get));
      rows.add(latencyRow("SetAlias (compare-and-set, history entry + alias write), ms", set));
    }
    System.out.println(report);
    Files.writeString(
        Path.of("target", "registry-bench.txt"), report.toString(), StandardCharsets.UTF_8);
    BenchTable.measured(
            "Registry on loopback (embedded S3Proxy, 50 MB artifact)",
            "./mvnw -B verify -pl integration-tests -Dit.test=RegistryBenchIT -Dpiddm.bench=true"
                + " -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false",
            List.of("measurement", "median / p50", "runs / p99"),
            rows,
            List.of(
                "Upload time includes the client's sha256 of the artifact; client, registry and"
                    + " its S3 server share the machine's cores."))
        .write(HOME.resolve("docs"), "registry");
  }

  private static final Path HOME =
      Path.of(System.getProperty("piddm.home", "..")).toAbsolutePath().normalize();

  private static List<String> row(String what, double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return List.of(
        what,
        String.format(Locale.ROOT, "%.1f", sorted[sorted.length / 2]),
        Arrays.stream(values)
            .mapToObj(v -> String.format(Locale.ROOT, "%.0f", v))
            .collect(java.util.stream.Collectors.joining(", ")));
  }

  private static List<String> latencyRow(String what, List<Double> millis) {
    double[] sorted = millis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return List.of(
        what,
        String.format(Locale.ROOT, "%.2f", sorted[(int) (sorted.length * 0.5)]),
        String.format(
            Locale.ROOT, "%.2f", sorted[(int) Math.min(sorted.length - 1, sorted.length * 0.99)]));
  }

  private static double mbPerSecond(long nanos) {
    return (SIZE / 1e6) / (nanos / 1e9);
  }

  private static String line(String what, double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return String.format(
        "%s: median %.1f (runs %s)%n", what, sorted[sorted.length / 2], Arrays.toString(values));
  }

  private static String latency(String what, List<Double> millis) {
    double[] sorted = millis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return String.format(
        "%s latency over %d calls: p50 %.2f ms, p99 %.2f ms%n",
        what,
        sorted.length,
        sorted[(int) (sorted.length * 0.5)],
        sorted[(int) Math.min(sorted.length - 1, sorted.length * 0.99)]);
  }
}
