package io.piddm.results;

import io.piddm.diffusion.train.LossTrace;
import io.piddm.physics.metrics.Moments;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.LongFunction;

/**
 * The loss traces behind a quality report: each training seed's teacher, PIDDM-1 and λ_train = 0
 * student {@link LossTrace} files, kept beside the JSON in {@code docs/results/traces/} and shown
 * in RESULTS.md as a convergence table and two figures, so "converges on every seed" is read from
 * the traces themselves rather than asserted.
 */
final class LossTraces {

  static final String DIR = "traces";

  /**
   * The runs of one training seed whose traces are kept: the folder in the seed's run, the name.
   */
  enum Run {
    TEACHER("teacher", "teacher", "teacher"),
    PIDDM_1("student", "piddm-1", "PIDDM-1"),
    LAMBDA_0("student-lambda0", "lambda0", "PIDDM, λ_train = 0");

    final String folder;
    final String suffix;
    final String label;

    Run(String folder, String suffix, String label) {
      this.folder = folder;
      this.suffix = suffix;
      this.label = label;
    }
  }

  /** One trace read back: steps and one column per named term ({@code loss} first). */
  record Trace(List<String> columns, double[] steps, double[][] values) {

    double[] column(String name) {
      int i = columns.indexOf(name);
      if (i < 0) {
        throw new IllegalArgumentException("no column " + name + " in " + columns);
      }
      return values[i];
    }

    boolean has(String name) {
      return columns.contains(name);
    }

    /** Mean of a column over the logged steps in [from, to) of the run's fraction of steps. */
    double windowMean(String name, double from, double to) {
      double last = steps[steps.length - 1];
      double[] v = column(name);
      double sum = 0;
      int n = 0;
      for (int i = 0; i < steps.length; i++) {
        if (steps[i] > from * last && steps[i] <= to * last) {
          sum += v[i];
          n++;
        }
      }
      return n == 0 ? Double.NaN : sum / n;
    }

    /** The largest single logged value of a column after the first {@code after} of the run. */
    double maxAfter(String name, double after) {
      double last = steps[steps.length - 1];
      double[] v = column(name);
      double max = Double.NaN;
      for (int i = 0; i < steps.length; i++) {
        if (steps[i] > after * last && !(v[i] <= max)) {
          max = v[i];
        }
      }
      return max;
    }

    /** Running mean over {@code width} logged lines, as (step, value) points for a figure. */
    List<double[]> smoothed(String name, int width) {
      double[] v = column(name);
      List<double[]> points = new ArrayList<>();
      for (int end = width; end <= v.length; end += Math.max(1, width / 2)) {
        double[] window = Arrays.copyOfRange(v, end - width, end);
        points.add(new double[] {steps[end - 1], Moments.mean(window), 0});
      }
      return points;
    }
  }

  private LossTraces() {}

  static String fileName(String reportName, long seed, Run run) {
    return reportName + "-seed-" + seed + "-" + run.suffix + ".csv";
  }

  /** Copies every seed's traces from its run folder into {@code docs/results/traces/}. */
  static void copy(String reportName, List<Long> seeds, LongFunction<Path> seedDirs, Path traces)
      throws IOException {
    for (long seed : seeds) {
      for (Run run : Run.values()) {
        Path from = seedDirs.apply(seed).resolve(run.folder).resolve(LossTrace.FILE);
        if (Files.isRegularFile(from)) {
          Files.createDirectories(traces);
          Files.copy(
              from,
              traces.resolve(fileName(reportName, seed, run)),
              StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  static Trace read(Path csv) throws IOException {
    List<String> lines =
        Files.readAllLines(csv, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
    if (lines.size() < 2) {
      throw new IOException(csv + ": a header and at least one step expected");
    }
    String[] header = lines.get(0).split(",");
    if (!header[0].equals("step")) {
      throw new IOException(csv + ": first column must be step, got " + header[0]);
    }
    List<String> columns = List.of(header).subList(1, header.length);
    double[] steps = new double[lines.size() - 1];
    double[][] values = new double[columns.size()][lines.size() - 1];
    for (int row = 1; row < lines.size(); row++) {
      String[] cells = lines.get(row).split(",");
      if (cells.length != header.length) {
        throw new IOException(
            csv + " line " + (row + 1) + ": " + header.length + " cells expected");
      }
      steps[row - 1] = Double.parseDouble(cells[0]);
      for (int c = 0; c < columns.size(); c++) {
        values[c][row - 1] = Double.parseDouble(cells[c + 1]);
      }
    }
    return new Trace(columns, steps, values);
  }

  /**
   * The convergence table and figures of a report, or "" when none of its seeds has a trace (e.g.
   * reports written before traces were kept).
   */
  static String section(String reportName, List<Long> seeds, Path results) throws IOException {
    Path traces = results.resolve(DIR);
    StringBuilder table = new StringBuilder();
    List<Charts.Line> teacherLines = new ArrayList<>();
    List<Charts.Line> studentLines = new ArrayList<>();
    for (int s = 0; s < seeds.size(); s++) {
      long seed = seeds.get(s);
      for (Run run : Run.values()) {
        Path csv = traces.resolve(fileName(reportName, seed, run));
        if (!Files.isRegularFile(csv)) {
          continue;
        }
        Trace t = read(csv);
        table.append(row(run, seed, t));
        int width = Math.max(1, t.steps().length / 20);
        if (run == Run.TEACHER) {
          teacherLines.add(new Charts.Line("seed " + seed, s, s, t.smoothed("loss", width)));
        } else if (t.has("regression")) {
          int colour = run == Run.PIDDM_1 ? 0 : 2;
          studentLines.add(
              new Charts.Line(
                  run.label + " regression, seed " + seed,
                  colour,
                  s,
                  t.smoothed("regression", width)));
          if (run == Run.PIDDM_1) {
            studentLines.add(
                new Charts.Line(
                    run.label + " residual (s·R)², seed " + seed,
                    1,
                    s,
                    t.smoothed("residual", width)));
          }
        }
      }
    }
    if (table.isEmpty()) {
      return "";
    }
    Path figures = results.resolve(ResultsDocument.FIGURES_DIR);
    StringBuilder md = new StringBuilder("### Loss traces: convergence per seed\n\n");
    md.append("From `docs/results/")
        .append(DIR)
        .append("/")
        .append(reportName)
        .append("-seed-<N>-<run>.csv` (one line every ")
        .append(LossTrace.EVERY)
        .append(" steps, copied from each seed's run). Windows are fractions of the run's steps;")
        .append(" \"last / previous\" near 1 says the loss has stopped falling; the largest")
        .append(" single logged loss after the first 10 % shows spikes. Students: regression =")
        .append(" the term against the teacher's pairs, residual = mean (s·R)² before λ (logged")
        .append(" even while λ is 0).\n\n");
    md.append(
        "| run | seed | steps | loss, first 10 % | loss, last 10 % | last 10 % / previous 10 % |"
            + " largest logged loss after 10 % | regression, last 10 % | residual (s·R)², last"
            + " 10 % | λ at the end |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|\n");
    md.append(table);
    md.append('\n');
    if (!teacherLines.isEmpty()) {
      String png = reportName + "-teacher-loss.png";
      Charts.traces(teacherLines, "training step", "teacher loss", figures.resolve(png));
      md.append("![teacher loss](results/figures/").append(png).append(")\n\n");
    }
    if (!studentLines.isEmpty()) {
      String png = reportName + "-student-loss.png";
      Charts.traces(studentLines, "distillation step", "loss term", figures.resolve(png));
      md.append("![student loss terms](results/figures/").append(png).append(")\n\n");
    }
    md.append("Curves: running means over 1/20 of each run; line style = training seed.\n");
    return md.toString();
  }

  private static String row(Run run, long seed, Trace t) {
    boolean student = t.has("regression");
    double last = t.windowMean("loss", 0.9, 1.0);
    return String.format(
        Locale.ROOT,
        "| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |%n",
        run.label,
        seed,
        (long) t.steps()[t.steps().length - 1],
        orDash(t.windowMean("loss", 0, 0.1)),
        Stat.significant(last),
        orDash(last / t.windowMean("loss", 0.8, 0.9)),
        Stat.significant(t.maxAfter("loss", 0.1)),
        student ? Stat.significant(t.windowMean("regression", 0.9, 1.0)) : "–",
        student ? Stat.significant(t.windowMean("residual", 0.9, 1.0)) : "–",
        student ? Stat.significant(t.column("lambda")[t.steps().length - 1]) : "–");
  }

  /** A window the trace does not cover (a run restarted from a checkpoint before traces) is "–". */
  private static String orDash(double v) {
    return Double.isFinite(v) ? Stat.significant(v) : "–";
  }
}
