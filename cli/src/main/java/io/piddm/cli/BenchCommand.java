package io.piddm.cli;

import io.piddm.physics.pde.Pde;
import io.piddm.pipeline.Phase;
import io.piddm.pipeline.Profiles;
import io.piddm.pipeline.RunLayout;
import io.piddm.pipeline.RunListener;
import io.piddm.results.QualityBench;
import io.piddm.results.QualityReport;
import io.piddm.results.QualitySettings;
import io.piddm.results.ResultsDocument;
import io.piddm.results.SpeedBench;
import io.piddm.results.SpeedReport;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code piddm bench}: the measured claims of docs/RESULTS.md, regenerated from scratch. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Regenerate docs/RESULTS.md: the quality benchmark, or the report from its JSON.",
    subcommands = {BenchCommand.Quality.class, BenchCommand.Speed.class, BenchCommand.Report.class})
final class BenchCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(
      name = "quality",
      mixinStandardHelpOptions = true,
      description = {
        "For every seed a whole training run of the profile at 32² (data, teacher, pair bank,",
        "PIDDM-1, export), a λ_train = 0 student from the same pairs, and every method and",
        "downstream task of the results table against one held-out set, plus a second solver set",
        "as the finite-sample floor; then writes DOCS/results/quality-<pde>32-<profile>.json, its",
        "figures and sample arrays, and DOCS/RESULTS.md with the verdicts.",
        "The standard profile takes about an hour per seed on 2 CPU cores (quick: about 12",
        "minutes). A stopped benchmark resumes by seed and by phase: finished teachers and",
        "students are reused. Delete a seed's seed-result.json to re-evaluate it with new",
        "evaluation code."
      },
      footer = {
        "",
        "Examples:",
        "  piddm bench quality --pde darcy --seeds 1,2,3",
        "  piddm bench quality --profile quick --pde poisson --seeds 1"
      })
  static final class Quality implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--pde",
        defaultValue = "darcy",
        description = "PDE (default ${DEFAULT-VALUE}).")
    String pde;

    @Option(
        names = "--profile",
        defaultValue = "standard",
        description = "Run profile: quick or standard (default ${DEFAULT-VALUE}).")
    String profile;

    @Option(
        names = "--seeds",
        split = ",",
        defaultValue = "1,2,3",
        description = "Training seeds (default ${DEFAULT-VALUE}).")
    List<Long> seeds;

    @Option(
        names = "--work",
        description = "Runs and evaluations (default ~/.piddm/bench/quality-<pde>32-<profile>).")
    Path work;

    @Option(
        names = "--docs",
        defaultValue = "docs",
        description = "Where RESULTS.md and results/ are written (default ${DEFAULT-VALUE}).")
    Path docs;

    @Override
    public Integer call() throws Exception {
      Pde kind = DataCommand.pde(spec.commandLine(), pde);
      QualitySettings settings;
      try {
        settings = QualitySettings.of(profile, kind, seeds);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      Path dir =
          work != null
              ? work
              : Path.of(
                  System.getProperty("user.home"),
                  ".piddm",
                  "bench",
                  "quality-" + kind.id() + settings.base().resolution() + "-" + profile);
      long started = System.nanoTime();
      QualityBench bench =
          new QualityBench(settings, dir, phases(started), line -> log(started, line));
      QualityReport report = bench.run();
      Path written = ResultsDocument.write(report, bench::seedDir, docs);
      System.out.println("wrote " + written + " and " + docs.resolve("results"));
      return 0;
    }

    private static RunListener phases(long started) {
      return new RunListener() {
        @Override
        public void onPhase(Phase phase, boolean skipped, String message) {
          log(started, "  " + phase + (skipped ? " (done before)" : "") + ": " + message);
        }

        @Override
        public void onProgress(Progress progress) {}
      };
    }

    private static void log(long started, String line) {
      System.err.printf("[%6.0f s] %s%n", (System.nanoTime() - started) / 1e9, line);
    }
  }

  @Command(
      name = "speed",
      mixinStandardHelpOptions = true,
      description = {
        "Time one trained run in process, batch 1, one thread: the student on ONNX Runtime and",
        "DJL, the teacher's Heun sampling per sample, one reconstruction step, data generation",
        "against SciPy; writes DOCS/results/speed.json and rewrites DOCS/RESULTS.md."
      },
      footer = {
        "",
        "Example:",
        "  piddm bench speed --run ~/.piddm/bench/quality-darcy32-standard/seed-1"
      })
  static final class Speed implements Callable<Integer> {
    @Option(
        names = "--run",
        description =
            "A training run's folder (default: seed 1 of the quality benchmark,"
                + " ~/.piddm/bench/quality-darcy32-standard/seed-1).")
    Path run;

    @Option(
        names = "--docs",
        defaultValue = "docs",
        description = "Where RESULTS.md and results/ are written (default ${DEFAULT-VALUE}).")
    Path docs;

    @Override
    public Integer call() throws Exception {
      RunLayout layout =
          new RunLayout(
              run != null
                  ? run
                  : Path.of(
                      System.getProperty("user.home"),
                      ".piddm",
                      "bench",
                      "quality-darcy32-standard",
                      "seed-1"));
      SpeedReport report =
          SpeedBench.run(
              layout.teacherDir(),
              layout.studentDir(),
              layout.exportDir(),
              Profiles.defaults("standard", Pde.DARCY, 32).teacher().samplerSteps(),
              SpeedBench.Settings.standard(),
              Piddm.home());
      System.out.println("wrote " + ResultsDocument.write(report, docs));
      return 0;
    }
  }

  @Command(
      name = "report",
      mixinStandardHelpOptions = true,
      description = "Redraw the figures and rewrite DOCS/RESULTS.md from DOCS/results/*.json.")
  static final class Report implements Callable<Integer> {
    @Option(
        names = "--docs",
        defaultValue = "docs",
        description = "Folder holding RESULTS.md and results/ (default ${DEFAULT-VALUE}).")
    Path docs;

    @Override
    public Integer call() throws Exception {
      System.out.println("wrote " + ResultsDocument.render(docs));
      return 0;
    }
  }
}
