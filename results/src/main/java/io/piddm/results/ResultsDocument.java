package io.piddm.results;

import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpecs;
import io.piddm.results.QualityReport.MethodRow;
import io.piddm.results.QualityReport.SeedResult;
import io.piddm.results.QualityReport.TaskRow;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * docs/RESULTS.md from the committed JSON: every number in its tables is computed here from a
 * {@link QualityReport} (mean ± sample std over training seeds), and its figures are drawn from the
 * same report. Nothing is typed in by hand.
 */
public final class ResultsDocument {

  public static final String FILE = "RESULTS.md";
  static final String RESULTS_DIR = "results";
  static final String FIGURES_DIR = "figures";
  static final String SWEEPS_DIR = "sweeps";
  static final String SPEED_JSON = "speed.json";

  /** The methods whose sample sheets the document shows, in this order. */
  private static final List<String> SHEETS =
      List.of("ground-truth", "teacher-heun18", "teacher-guided", "piddm-1", "piddm-ref-8");

  private ResultsDocument() {}

  /** The report's JSON name, e.g. {@code quality-darcy32.json}. */
  public static String jsonName(String pde, int resolution) {
    return "quality-" + pde + resolution + ".json";
  }

  /**
   * Writes {@code docs/results/<json>}, copies the sample sheets found under {@code sheetsFrom}
   * (one training seed's folder, {@link QualityBench#seedDir}; null keeps the ones already there),
   * draws the figures and writes {@code docs/RESULTS.md} from every report found in {@code
   * docs/results}.
   */
  public static Path write(QualityReport report, Path sheetsFrom, Path docs) throws IOException {
    Path results = docs.resolve(RESULTS_DIR);
    Path figures = results.resolve(FIGURES_DIR);
    Files.createDirectories(figures);
    Files.writeString(
        results.resolve(jsonName(report.pde(), report.resolution())),
        QualityBench.GSON.toJson(report),
        StandardCharsets.UTF_8);
    if (sheetsFrom != null) {
      copySheets(report, sheetsFrom, figures);
    }
    return render(docs);
  }

  /** Redraws the figures and rewrites RESULTS.md from the reports in {@code docs/results}. */
  public static Path render(Path docs) throws IOException {
    Path results = docs.resolve(RESULTS_DIR);
    List<QualityReport> reports = new ArrayList<>();
    try (var files = Files.list(results)) {
      for (Path json :
          files
              .filter(p -> p.getFileName().toString().matches("quality-.*\\.json"))
              .sorted()
              .toList()) {
        reports.add(read(json));
      }
    }
    if (reports.isEmpty() && !Files.isRegularFile(results.resolve(SPEED_JSON))) {
      throw new IOException("no quality-*.json or " + SPEED_JSON + " in " + results);
    }
    StringBuilder md = new StringBuilder();
    md.append("# Results\n\n")
        .append("Every number below is computed by `ResultsDocument` from the JSON committed in ")
        .append(
            "[`docs/results/`](results/) (settings, seeds, code version and machine included);\n")
        .append("regenerate with `./piddm bench quality` (the quality benchmark), `./piddm bench")
        .append(" speed` (in-process speed), `SamplerBenchIT`/`RegistryBenchIT` (the service")
        .append(" tables; commands with them) or `./piddm bench report` (tables and figures from")
        .append(" the JSON alone). See [`results/README.md`](../results/README.md).\n\n");
    for (QualityReport report : reports) {
      md.append(section(report, results.resolve(FIGURES_DIR)));
    }
    Path speed = results.resolve(SPEED_JSON);
    if (Files.isRegularFile(speed)) {
      md.append(
          speedSection(
              QualityBench.GSON.fromJson(
                  Files.readString(speed, StandardCharsets.UTF_8), SpeedReport.class),
              results.resolve(FIGURES_DIR)));
    }
    List<Path> tables;
    try (var files = Files.list(results)) {
      tables =
          files
              .filter(p -> p.getFileName().toString().startsWith(BenchTable.PREFIX))
              .filter(p -> p.getFileName().toString().endsWith(".json"))
              .sorted()
              .toList();
    }
    if (!tables.isEmpty()) {
      md.append("## Speed (through the services)\n\n");
      for (Path json : tables) {
        md.append(
            QualityBench.GSON
                .fromJson(Files.readString(json, StandardCharsets.UTF_8), BenchTable.class)
                .markdown());
      }
    }
    md.append(sweeps(results.resolve(SWEEPS_DIR)));
    Path out = docs.resolve(FILE);
    Files.writeString(out, md.toString(), StandardCharsets.UTF_8);
    return out;
  }

  /**
   * Links to the one-off experiments in {@code docs/results/sweeps/<name>/README.md} (each holds
   * its commands, JSON and table), titled by the README's first line.
   */
  private static String sweeps(Path sweeps) throws IOException {
    if (!Files.isDirectory(sweeps)) {
      return "";
    }
    List<Path> readmes;
    try (var folders = Files.list(sweeps)) {
      readmes =
          folders.map(f -> f.resolve("README.md")).filter(Files::isRegularFile).sorted().toList();
    }
    if (readmes.isEmpty()) {
      return "";
    }
    StringBuilder md = new StringBuilder("## Further experiments\n\n");
    for (Path readme : readmes) {
      String title =
          Files.readAllLines(readme, StandardCharsets.UTF_8).stream()
              .findFirst()
              .orElse("")
              .replaceFirst("^#+\\s*", "");
      String folder = readme.getParent().getFileName().toString();
      md.append("- [")
          .append(title.isBlank() ? folder : title)
          .append("](")
          .append(RESULTS_DIR)
          .append("/")
          .append(SWEEPS_DIR)
          .append("/")
          .append(folder)
          .append("/README.md)\n");
    }
    return md.append('\n').toString();
  }

  /** Writes {@code docs/results/speed.json} and rewrites RESULTS.md. */
  public static Path write(SpeedReport report, Path docs) throws IOException {
    Path results = docs.resolve(RESULTS_DIR);
    Files.createDirectories(results);
    Files.writeString(
        results.resolve(SPEED_JSON), QualityBench.GSON.toJson(report), StandardCharsets.UTF_8);
    return render(docs);
  }

  private static String speedSection(SpeedReport s, Path figures) throws IOException {
    StringBuilder md = new StringBuilder("## Speed (in process)\n\n");
    md.append(
        String.format(
            Locale.ROOT,
            "%s. Machine: %s, %d cores, %s. Code %s, finished %s. Batch 1, %s; median (p50) and"
                + " p99 over the timed calls of one run.%n%n",
            s.models(),
            s.machine().cpu(),
            s.machine().cores(),
            s.machine().accelerator(),
            s.codeVersion(),
            s.finishedAt(),
            s.settings().get("threads")));
    md.append("| what | p50 (ms) | p99 (ms) | calls |\n|---|---|---|---|\n");
    Map<String, SpeedReport.Latency> rows = new LinkedHashMap<>();
    rows.put("PIDDM-1 student, ONNX Runtime forward", s.onnxForward());
    rows.put("PIDDM-1 student, DJL (PyTorch) forward", s.djlStudentForward());
    rows.put("teacher, Heun sampling of one sample (DJL)", s.teacherHeunPerSample());
    rows.put("one reconstruction step (reconstruct.onnx: loss, ∂loss/∂ε)", s.onnxReconstructStep());
    rows.forEach(
        (what, l) ->
            md.append(
                String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %d |%n",
                    what,
                    Stat.significant(l.p50()),
                    Stat.significant(l.p99()),
                    l.runs())));
    md.append(
        String.format(
            Locale.ROOT,
            "%nRatios of medians from this run: teacher per sample / student on ONNX Runtime **%.0f×**,"
                + " / student on DJL %.0f×; DJL / ONNX Runtime for the student %.2f×; one"
                + " reconstruction step / one forward %.2f×.%n%n",
            s.teacherHeunPerSample().p50() / s.onnxForward().p50(),
            s.teacherHeunPerSample().p50() / s.djlStudentForward().p50(),
            s.djlStudentForward().p50() / s.onnxForward().p50(),
            s.onnxReconstructStep().p50() / s.onnxForward().p50()));
    md.append(
        "Data generation, one thread (whole sample: random field, assembly, factorisation, solve;"
            + " and the solve alone beside SciPy's spsolve of the same system):\n\n"
            + "| PDE | grid | ms / sample | samples / s / core | Java solve (ms) | SciPy spsolve (ms) |"
            + " SciPy / Java |\n|---|---|---|---|---|---|---|\n");
    for (SpeedReport.Generation g : s.generation()) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %d² | %s | %.1f | %s | %s | %s |%n",
              g.pde(),
              g.resolution(),
              Stat.significant(g.sampleMillis()),
              1000 / g.sampleMillis(),
              Stat.significant(g.javaSolveMillis()),
              g.scipySolveMillis() == null ? "–" : Stat.significant(g.scipySolveMillis()),
              g.scipySolveMillis() == null
                  ? "–"
                  : String.format(
                      Locale.ROOT, "%.2f×", g.scipySolveMillis() / g.javaSolveMillis())));
    }
    Charts.latencyHistogram(
        "PIDDM-1 on ONNX Runtime, batch 1",
        s.onnxForwardMillis(),
        figures.resolve("speed-onnx-latency.png"));
    md.append("\n![latency histogram](results/figures/speed-onnx-latency.png)\n\n");
    md.append(
        "gRPC (Generate p50/p99, throughput with and without micro-batching) and registry"
            + " throughput need the service processes: their tables below come from"
            + " `SamplerBenchIT` and `RegistryBenchIT`.\n\n");
    return md.toString();
  }

  public static QualityReport read(Path json) throws IOException {
    return QualityBench.GSON.fromJson(
        Files.readString(json, StandardCharsets.UTF_8), QualityReport.class);
  }

  private static String section(QualityReport r, Path figures) throws IOException {
    Pde pde = Pde.parse(r.pde());
    // the solver's own stencil where the PDE has one; Burgers is judged with its training spec
    String consistent = ResidualSpecs.training(pde).id();
    String judged = ResidualSpecs.hasConsistent(pde) ? "consistent" : "`" + consistent + "`";
    String published = ResidualSpecs.publishedCompatible(pde).id();
    List<String> channels = pde.channels();
    String prefix = r.pde() + r.resolution();
    StringBuilder md = new StringBuilder();
    md.append(
        String.format(
            Locale.ROOT,
            "## %s %d² — %d training seed%s %s, CPU%n%n",
            title(r.pde()),
            r.resolution(),
            r.seeds().size(),
            r.seeds().size() == 1 ? "" : "s",
            r.seeds()));
    md.append(
        String.format(
            Locale.ROOT,
            "Machine: %s, %d cores, %.0f GiB, %s, %s, accelerator: %s. Code %s, finished %s"
                + " (that invocation: %.0f s; seeds measured before it are read back). Held-out set: %s fields from the solver with seed %s, never"
                + " trained on. Mean ± sample std over the training seeds; each seed is a whole"
                + " run (data, teacher, pairs, students) of the `%s` profile.%n%n",
            r.machine().cpu(),
            r.machine().cores(),
            r.machine().memoryBytes() / Math.pow(1024, 3),
            r.machine().os(),
            r.machine().jvm(),
            r.machine().accelerator(),
            r.codeVersion(),
            r.finishedAt(),
            r.wallSeconds(),
            whole(r.settings().get("held_out_count")),
            whole(r.settings().get("held_out_seed")),
            r.settings().get("profile")));

    md.append("### Unconditional samples\n\n");
    md.append(
        "| method | engine | NFE | wall-clock / sample (s) | PDE error ("
            + judged
            + ") | PDE error (published-compatible) |");
    for (String c : channels) {
      md.append(" MMSE ").append(c).append(" | SMSE ").append(c).append(" |");
    }
    md.append("\n|---|---|---|---|---|---|")
        .append("---|---|".repeat(channels.size()))
        .append('\n');
    Map<String, List<MethodRow>> byMethod = methods(r);
    for (var entry : byMethod.entrySet()) {
      List<MethodRow> rows = entry.getValue();
      MethodRow first = rows.get(0);
      boolean truth = entry.getKey().equals("ground-truth");
      md.append("| ")
          .append(label(entry.getKey(), r))
          .append(" | ")
          .append(first.engine())
          .append(" | ")
          .append(truth ? "–" : Integer.toString(first.networkEvaluations()))
          .append(" | ")
          .append(
              truth
                  ? Stat.significant(r.solverSecondsPerField()) + " (solver, 1 thread)"
                  : stat(rows, MethodRow::secondsPerSample).format())
          .append(" | ")
          .append(stat(rows, m -> m.pdeErrorRelative().get(consistent)).format())
          .append(" | ")
          .append(stat(rows, m -> m.pdeErrorRelative().get(published)).format())
          .append(" |");
      for (String c : channels) {
        md.append(' ')
            .append(stat(rows, m -> m.mmse().get(c)).format())
            .append(" | ")
            .append(stat(rows, m -> m.smse().get(c)).format())
            .append(" |");
      }
      md.append('\n');
    }
    md.append('\n').append(verdict(byMethod, consistent, judged, channels.get(0))).append("\n\n");
    md.append("PDE error (")
        .append(judged)
        .append(") of each training seed (where a spread above is wide):\n\n| method |");
    for (long seed : r.seeds()) {
      md.append(" seed ").append(seed).append(" |");
    }
    md.append("\n|---|").append("---|".repeat(r.seeds().size())).append('\n');
    for (var entry : byMethod.entrySet()) {
      md.append("| ").append(label(entry.getKey(), r)).append(" |");
      for (MethodRow row : entry.getValue()) {
        md.append(' ')
            .append(Stat.significant(row.pdeErrorRelative().get(consistent)))
            .append(" |");
      }
      md.append('\n');
    }
    md.append('\n');

    md.append("### Downstream tasks\n\n")
        .append(
            "| method | task | observed → estimated | fields | NFE / task | s / task | relative L2 | error rate |\n")
        .append("|---|---|---|---|---|---|---|---|\n");
    for (var entry : tasks(r).entrySet()) {
      List<TaskRow> rows = entry.getValue();
      TaskRow first = rows.get(0);
      Stat errorRate = stat(rows, t -> t.errorRate() == null ? Double.NaN : t.errorRate());
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s → %s | %d | %d | %s | %s | %s |%n",
              first.method(),
              first.task(),
              first.observed(),
              first.estimated(),
              first.count(),
              first.networkEvaluations(),
              stat(rows, TaskRow::secondsPerTask).format(),
              stat(rows, TaskRow::relativeL2).format(),
              errorRate.n() == 0 ? "–" : errorRate.format()));
    }
    md.append(
        "\nNFE / task: network evaluations per task (PIDDM reconstruction: one forward and one"
            + " backward pass through the student per Adam step; data-space: no network).\n\n");

    md.append("### One-time costs per training seed\n\n| cost | value |\n|---|---|\n");
    for (String cost :
        List.of(
            "teacher_training_seconds",
            "teacher_steps",
            "pair_generation_seconds",
            "pairs_generated",
            "distillation_seconds")) {
      List<Double> values = r.perSeed().stream().map(s -> s.costs().get(cost)).toList();
      md.append("| ").append(cost).append(" | ").append(Stat.of(values).format()).append(" |\n");
    }

    md.append("\n### Figures\n\n");
    Charts.pdeErrorVsNfe(
        nfeCurves(byMethod, consistent),
        consistent,
        figures.resolve(prefix + "-pde-error-vs-nfe.png"));
    md.append("![PDE error vs NFE](results/figures/")
        .append(prefix)
        .append("-pde-error-vs-nfe.png)\n\n");
    Charts.reconstructionOverSteps(
        reconstructionCurves(r), figures.resolve(prefix + "-reconstruction-error.png"));
    md.append("![reconstruction error over steps](results/figures/")
        .append(prefix)
        .append("-reconstruction-error.png)\n\n");
    md.append("Samples of the first training seed (rows: samples; columns: channels):\n\n");
    for (String method : SHEETS) {
      String name = prefix + "-" + method + ".png";
      if (Files.isRegularFile(figures.resolve(name))) {
        md.append("**").append(label(method, r)).append("**\n\n");
        md.append("![").append(method).append("](results/figures/").append(name).append(")\n\n");
      }
    }
    return md.toString();
  }

  /**
   * The export issue's science target, judged from the table: PIDDM-1's consistent residual at
   * least 10× below the teacher's, with MMSE/SMSE of the first channel no worse than twice the
   * teacher's.
   */
  private static String verdict(
      Map<String, List<MethodRow>> byMethod, String consistent, String judged, String channel) {
    List<MethodRow> teacher = byMethod.get("teacher-heun18");
    List<MethodRow> student = byMethod.get("piddm-1");
    if (teacher == null || student == null) {
      return "";
    }
    double ratio =
        stat(teacher, m -> m.pdeErrorRelative().get(consistent)).mean()
            / stat(student, m -> m.pdeErrorRelative().get(consistent)).mean();
    double smseRatio =
        stat(student, m -> m.smse().get(channel)).mean()
            / stat(teacher, m -> m.smse().get(channel)).mean();
    double mmseRatio =
        stat(student, m -> m.mmse().get(channel)).mean()
            / stat(teacher, m -> m.mmse().get(channel)).mean();
    boolean met = ratio >= 10 && smseRatio <= 2 && mmseRatio <= 2;
    return String.format(
        Locale.ROOT,
        "Target (PIDDM-1's %s PDE error ≥ 10× below the teacher's at comparable MMSE/SMSE):"
            + " **%s** — the teacher's error is %.1f× PIDDM-1's; PIDDM-1's MMSE %s is %.1f× and"
            + " its SMSE %s %.1f× the teacher's.",
        judged,
        met ? "met" : "not met",
        ratio,
        channel,
        mmseRatio,
        channel,
        smseRatio);
  }

  private static Map<String, List<MethodRow>> methods(QualityReport r) {
    Map<String, List<MethodRow>> by = new LinkedHashMap<>();
    for (SeedResult s : r.perSeed()) {
      for (MethodRow m : s.methods()) {
        by.computeIfAbsent(m.method(), k -> new ArrayList<>()).add(m);
      }
    }
    return by;
  }

  private static Map<String, List<TaskRow>> tasks(QualityReport r) {
    Map<String, List<TaskRow>> by = new LinkedHashMap<>();
    for (SeedResult s : r.perSeed()) {
      for (TaskRow t : s.tasks()) {
        by.computeIfAbsent(
                t.method() + "/" + t.task() + "/" + t.observed() + "/" + t.estimated(),
                k -> new ArrayList<>())
            .add(t);
      }
    }
    return by;
  }

  private static <T> Stat stat(List<T> rows, Function<T, Double> value) {
    return Stat.of(rows.stream().map(value).map(v -> v == null ? Double.NaN : v).toList());
  }

  private static List<Charts.Curve> nfeCurves(
      Map<String, List<MethodRow>> byMethod, String residual) {
    Map<String, List<double[]>> families = new LinkedHashMap<>();
    for (var entry : byMethod.entrySet()) {
      if (entry.getKey().equals("ground-truth")) {
        continue;
      }
      String family = entry.getKey().startsWith("piddm-ref-") ? "PIDDM-ref" : entry.getKey();
      if (family.equals("piddm-1")) {
        // PIDDM-ref starts where PIDDM-1 is: draw its curve from k = 0
        families.computeIfAbsent("PIDDM-ref", k -> new ArrayList<>());
      }
      Stat s = stat(entry.getValue(), m -> m.pdeErrorRelative().get(residual));
      double[] point = {entry.getValue().get(0).networkEvaluations(), s.mean(), s.std()};
      families.computeIfAbsent(family, k -> new ArrayList<>()).add(point);
      if (family.equals("piddm-1")) {
        families.get("PIDDM-ref").add(0, point);
      }
    }
    List<Charts.Curve> curves = new ArrayList<>();
    // the PIDDM-ref curve first, so single points (PIDDM-1 at its start) are drawn over it
    List<String> names = new ArrayList<>(families.keySet());
    names.sort((a, b) -> Boolean.compare(!a.equals("PIDDM-ref"), !b.equals("PIDDM-ref")));
    for (String name : names) {
      curves.add(new Charts.Curve(name, families.get(name)));
    }
    return curves;
  }

  private static List<Charts.Curve> reconstructionCurves(QualityReport r) {
    List<Charts.Curve> curves = new ArrayList<>();
    for (var entry : tasks(r).entrySet()) {
      List<TaskRow> rows = entry.getValue();
      TaskRow first = rows.get(0);
      if (first.relativeL2ByStep().length == 0) {
        continue;
      }
      List<double[]> points = new ArrayList<>();
      for (int i = 0; i < first.relativeL2ByStep().length; i++) {
        int at = i;
        Stat s =
            stat(
                rows,
                t -> at < t.relativeL2ByStep().length ? t.relativeL2ByStep()[at] : Double.NaN);
        points.add(new double[] {i * (double) first.every(), s.mean(), s.std()});
      }
      curves.add(
          new Charts.Curve(
              first.task() + " (" + first.observed() + " → " + first.estimated() + ")", points));
    }
    return curves;
  }

  private static void copySheets(QualityReport report, Path sheetsFrom, Path figures)
      throws IOException {
    String prefix = report.pde() + report.resolution();
    Set<Path> found = new LinkedHashSet<>();
    try (var files = Files.walk(sheetsFrom)) {
      files.filter(p -> p.getFileName().toString().endsWith(".png")).forEach(found::add);
    }
    for (String method : SHEETS) {
      for (Path png : found) {
        if (png.getFileName().toString().equals(method + ".png")) {
          Files.copy(
              png,
              figures.resolve(prefix + "-" + method + ".png"),
              StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  /** A count or seed read back from JSON, where Gson makes every number a double. */
  private static String whole(Object number) {
    return number instanceof Number n ? Long.toString(n.longValue()) : String.valueOf(number);
  }

  private static String title(String pde) {
    return Character.toUpperCase(pde.charAt(0)) + pde.substring(1);
  }

  private static String label(String method, QualityReport r) {
    if (method.startsWith("piddm-ref-")) {
      return "PIDDM-ref (k = " + method.substring("piddm-ref-".length()) + ")";
    }
    return switch (method) {
      case "ground-truth" -> "ground truth (solver)";
      case "teacher-heun18" -> "teacher, Heun 18 steps";
      case "teacher-guided" -> "teacher + residual guidance (DiffusionPDE-style)";
      case "piddm-lambda0" -> "PIDDM, λ_train = 0";
      case "piddm-1" -> "PIDDM-1";
      default -> method;
    };
  }
}
