package io.piddm.results;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * A table measured by a benchmark that needs running services (the gRPC and registry benches in
 * integration-tests): written as {@code docs/results/bench-<name>.json} by the benchmark itself,
 * with its command, machine and code version, and rendered into RESULTS.md as it is.
 */
public record BenchTable(
    String title,
    String command,
    Machine machine,
    String codeVersion,
    String finishedAt,
    List<String> columns,
    List<List<String>> rows,
    List<String> notes) {

  static final String PREFIX = "bench-";

  public BenchTable {
    columns = List.copyOf(columns);
    rows = rows.stream().map(List::copyOf).toList();
    notes = List.copyOf(notes);
    for (List<String> row : rows) {
      if (row.size() != columns.size()) {
        throw new IllegalArgumentException(
            "row " + row + " has " + row.size() + " cells for " + columns.size() + " columns");
      }
    }
  }

  /** A table measured now, on this machine, by this code. */
  public static BenchTable measured(
      String title,
      String command,
      List<String> columns,
      List<List<String>> rows,
      List<String> notes) {
    return new BenchTable(
        title,
        command,
        Machine.current(),
        io.piddm.pipeline.CodeVersion.current(),
        Instant.now().toString(),
        columns,
        rows,
        notes);
  }

  /** Writes {@code docs/results/bench-<name>.json}. */
  public Path write(Path docs, String name) throws IOException {
    Path results = docs.resolve(ResultsDocument.RESULTS_DIR);
    Files.createDirectories(results);
    Path json = results.resolve(PREFIX + name + ".json");
    Files.writeString(json, QualityBench.GSON.toJson(this), StandardCharsets.UTF_8);
    return json;
  }

  String markdown() {
    StringBuilder md = new StringBuilder("### ").append(title).append("\n\n");
    md.append(
        String.format(
            "Measured by `%s` on %s, %d cores (%s); code %s, finished %s.%n%n",
            command,
            machine.cpu(),
            machine.cores(),
            machine.accelerator(),
            codeVersion,
            finishedAt));
    md.append("| ").append(String.join(" | ", columns)).append(" |\n");
    md.append("|").append("---|".repeat(columns.size())).append('\n');
    for (List<String> row : rows) {
      md.append("| ").append(String.join(" | ", row)).append(" |\n");
    }
    for (String note : notes) {
      md.append('\n').append(note).append('\n');
    }
    return md.append('\n').toString();
  }
}
