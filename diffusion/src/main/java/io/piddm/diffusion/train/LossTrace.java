package io.piddm.diffusion.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * A {@link TrainingListener} that appends the loss every {@code every} steps (and at the last) to a
 * CSV file beside the model, {@code step,loss[,name…]}, then passes the step on. The file is
 * appended to, so a resumed run continues it; {@link #read} keeps the last line of each step (a
 * resumed run repeats the steps after its checkpoint). Whether a distillation converged is read
 * from these traces, not from its final loss alone.
 */
public final class LossTrace implements TrainingListener {

  public static final String FILE = "loss-trace.csv";

  /** Steps between two lines of the traces training writes. */
  public static final long EVERY = 10;

  private final Path file;
  private final long every;
  private final Supplier<Map<String, Double>> terms;
  private final TrainingListener next;
  private boolean headerChecked;

  /**
   * @param terms named parts of the loss at the step just taken (e.g. the regression and residual
   *     terms of the student loss), written after the total; an empty map for none
   */
  public LossTrace(
      Path file, long every, Supplier<Map<String, Double>> terms, TrainingListener next) {
    if (every < 1) {
      throw new IllegalArgumentException("loss trace: every must be at least 1, got " + every);
    }
    this.file = file;
    this.every = every;
    this.terms = terms;
    this.next = next;
  }

  @Override
  public void onStep(
      long step,
      long totalSteps,
      double loss,
      double stepsPerSecond,
      double etaSeconds,
      long skippedSteps) {
    if (step % every == 0 || step == totalSteps) {
      append(step, loss);
    }
    next.onStep(step, totalSteps, loss, stepsPerSecond, etaSeconds, skippedSteps);
  }

  private void append(long step, double loss) {
    Map<String, Double> named = terms.get();
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      if (!headerChecked && !Files.exists(file)) {
        Files.writeString(
            file,
            "step,loss" + (named.isEmpty() ? "" : "," + String.join(",", named.keySet())) + "\n",
            StandardCharsets.UTF_8);
      }
      headerChecked = true;
      StringBuilder line = new StringBuilder().append(step).append(',').append(number(loss));
      named.values().forEach(v -> line.append(',').append(number(v)));
      Files.writeString(
          file, line.append('\n').toString(), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("loss trace " + file + ": " + e.getMessage(), e);
    }
  }

  private static String number(double v) {
    return String.format(Locale.ROOT, "%.6g", v);
  }

  /** The trace's columns by name (step first), one value per traced step in step order. */
  public static Map<String, List<Double>> read(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    if (lines.isEmpty()) {
      return Map.of();
    }
    String[] names = lines.get(0).split(",");
    TreeMap<Long, String[]> byStep = new TreeMap<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] cells = line.split(",");
      if (cells.length == names.length) {
        byStep.put(Long.parseLong(cells[0]), cells);
      }
    }
    Map<String, List<Double>> columns = new LinkedHashMap<>();
    for (int c = 0; c < names.length; c++) {
      List<Double> values = new ArrayList<>();
      for (String[] cells : byStep.values()) {
        values.add(Double.parseDouble(cells[c]));
      }
      columns.put(names[c], values);
    }
    return columns;
  }
}
