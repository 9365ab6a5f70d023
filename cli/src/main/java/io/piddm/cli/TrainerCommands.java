package io.piddm.cli;

import io.piddm.api.trainer.TrainerClient;
import io.piddm.proto.v1.ListRunsResponse;
import io.piddm.proto.v1.Pde;
import io.piddm.proto.v1.PublishSettings;
import io.piddm.proto.v1.Run;
import io.piddm.proto.v1.RunEvent;
import io.piddm.proto.v1.RunPhase;
import io.piddm.proto.v1.RunSpec;
import io.piddm.proto.v1.RunState;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code piddm train} and {@code piddm runs …}: the trainer service from the command line. */
final class TrainerCommands {

  private TrainerCommands() {}

  /** Where the trainer is and how to authenticate; shared by every trainer subcommand. */
  static final class Connection {
    @Option(
        names = "--trainer",
        paramLabel = "HOST:PORT",
        defaultValue = "localhost:9101",
        description = "Trainer gRPC address (default ${DEFAULT-VALUE}).")
    String trainer;

    @Option(
        names = "--token",
        description =
            "Bearer token for starting and cancelling runs; default: $PIDDM_TRAINER_TOKEN, else"
                + " the token the trainer generated in ~/.piddm/trainer/token.")
    String token;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    TrainerClient open() throws IOException {
      return new TrainerClient(trainer, Tokens.resolve(token, "PIDDM_TRAINER_TOKEN", "trainer"));
    }
  }

  /**
   * Follows a run until it ends, with a progress bar per phase on stderr (phase messages above
   * them); returns the run as it ended.
   */
  static Run follow(TrainerClient client, String runId, PrintWriter log) {
    try (PhaseBars bars = new PhaseBars(log)) {
      return client.watch(runId, bars);
    }
  }

  /** A run's events as progress bars, one per phase, with the phase messages printed above. */
  private static final class PhaseBars
      implements java.util.function.Consumer<RunEvent>, AutoCloseable {
    private final PrintWriter log;
    private ProgressBar bar;
    private RunPhase barPhase = RunPhase.RUN_PHASE_UNSPECIFIED;

    PhaseBars(PrintWriter log) {
      this.log = log;
    }

    @Override
    public void accept(RunEvent e) {
      if (!e.getMessage().isEmpty()) {
        close();
        log.printf("[%s] %s%n", phaseName(e.getPhase()), e.getMessage());
        log.flush();
      }
      if (e.getTotalSteps() > 0) {
        if (bar == null || barPhase != e.getPhase()) {
          close();
          bar = ProgressBars.onStderr(phaseName(e.getPhase()), e.getTotalSteps());
          barPhase = e.getPhase();
        }
        bar.stepTo(e.getStep());
        Double loss = e.getLossesMap().get("loss");
        bar.setExtraMessage(
            (loss == null ? "" : String.format(" loss %.4f", loss))
                + (e.getSkippedSteps() > 0 ? " skipped " + e.getSkippedSteps() : ""));
      }
    }

    @Override
    public void close() {
      if (bar != null) {
        bar.close();
        bar = null;
        barPhase = RunPhase.RUN_PHASE_UNSPECIFIED;
      }
    }
  }

  static String phaseName(RunPhase phase) {
    return phase.name().substring("RUN_PHASE_".length()).toLowerCase(Locale.ROOT);
  }

  static String stateName(RunState state) {
    return state.name().substring("RUN_STATE_".length()).toLowerCase(Locale.ROOT);
  }

  /** A run as JSON, or as its summary. */
  static void report(Run run, boolean json, PrintWriter out) throws IOException {
    if (json) {
      RegistryCommands.printJson(out, run);
    } else {
      printSummary(run, out);
    }
  }

  /** The numbers of a finished run a user looks at first: teacher against student. */
  static void printSummary(Run run, PrintWriter out) {
    Map<String, Double> m = run.getMetricsMap();
    out.printf(
        "run %s: %s%s%n",
        run.getRunId(),
        stateName(run.getState()),
        run.getError().isEmpty() ? "" : " (" + run.getError() + ")");
    if (m.containsKey("pde_error")) {
      out.printf("  %-34s %14s %14s%n", "", "teacher", "PIDDM student");
      row(out, "network evaluations per sample", m, "teacher_nfe", "nfe", "%14.0f");
      row(
          out,
          "seconds per sample (CPU)",
          m,
          "teacher_seconds_per_sample",
          "seconds_per_sample",
          "%14.4f");
      row(out, "rel. PDE error (consistent)", m, "teacher_pde_error", "pde_error", "%14.4g");
      row(
          out,
          "rel. PDE error (published-compat.)",
          m,
          "teacher_pde_error_published",
          "pde_error_published",
          "%14.4g");
      for (String key : m.keySet().stream().sorted().toList()) {
        if (key.startsWith("mmse_") || key.startsWith("smse_")) {
          row(out, key.replace('_', ' '), m, "teacher_" + key, key, "%14.4g");
        }
      }
      out.printf(
          "  solver's own rel. PDE error %.4g; student/teacher: PDE error %.2f× lower, %.0f× faster%n",
          m.getOrDefault("ground_truth_pde_error", Double.NaN),
          m.getOrDefault("pde_error_ratio", Double.NaN),
          m.getOrDefault("speedup_per_sample", Double.NaN));
      out.printf(
          "  training: teacher %.0f s, pairs %.0f s (%.0f pairs), student %.0f s%n",
          m.getOrDefault("teacher_training_seconds", Double.NaN),
          m.getOrDefault("pair_generation_seconds", Double.NaN),
          m.getOrDefault("pairs_generated", Double.NaN),
          m.getOrDefault("distillation_seconds", Double.NaN));
    }
    if (run.hasPublished()) {
      out.printf(
          "  published %s v%d%n",
          run.getPublished().getModelName(), run.getPublished().getVersion());
    }
    out.flush();
  }

  private static void row(
      PrintWriter out,
      String label,
      Map<String, Double> m,
      String teacher,
      String student,
      String f) {
    out.printf(
        "  %-34s " + f + " " + f + "%n",
        label,
        m.getOrDefault(teacher, Double.NaN),
        m.getOrDefault(student, Double.NaN));
  }

  @Command(
      name = "train",
      mixinStandardHelpOptions = true,
      description = {
        "Start a training run on the trainer service (data → teacher → pair bank → student →",
        "evaluation → ONNX export → registry) and follow it with a progress bar. Unset options",
        "take the profile's defaults: 'quick' runs in minutes on a laptop CPU, 'paper' is for",
        "GPUs. A run survives a trainer restart and resumes from its checkpoints."
      },
      footer = {
        "",
        "Examples:",
        "  piddm train                                   quick Darcy 32² run, published as piddm-darcy32",
        "  piddm train --alias staging --label owner=me  then move 'staging' to it (gates apply)",
        "  piddm train --lambda 0 --model darcy32-pure   the pure-distillation control",
        "  piddm train --profile paper --resolution 64 --detach",
        "  piddm train --no-publish --teacher-steps 200 --student-steps 100 --json"
      })
  static final class Train implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin Connection connection;

    @Option(
        names = "--pde",
        defaultValue = "darcy",
        description = "darcy, poisson or helmholtz (default ${DEFAULT-VALUE}).")
    String pde;

    @Option(
        names = "--profile",
        defaultValue = "quick",
        description = "quick, standard or paper (default ${DEFAULT-VALUE}).")
    String profile;

    @Option(names = "--resolution", description = "Grid size S (default: the profile's).")
    int resolution;

    @Option(names = "--count", description = "Training fields (default: the profile's).")
    long count;

    @Option(names = "--seed", description = "Run seed (default: the profile's).")
    long seed;

    @Option(names = "--teacher-steps", description = "Teacher optimiser steps.")
    long teacherSteps;

    @Option(names = "--student-steps", description = "Student optimiser steps.")
    long studentSteps;

    @Option(names = "--bank", description = "Pairs in the bank.")
    long bank;

    @Option(
        names = "--lambda",
        description = "λ_train, the weight of the residual term (0: pure distillation).")
    Double lambda;

    @Option(
        names = "--model",
        description = "Registry model name (default: piddm-PDE+S, e.g. piddm-darcy32).")
    String model;

    @Option(names = "--alias", description = "Alias to move to the new version (gates apply).")
    String alias;

    @Option(names = "--no-publish", description = "Train and evaluate only.")
    boolean noPublish;

    @Option(
        names = "--label",
        description = "Label KEY=VALUE on the run and the version (repeatable).")
    Map<String, String> labels = Map.of();

    @Option(
        names = "--spec",
        paramLabel = "FILE",
        description =
            "A RunSpec in protobuf JSON (every field of the contract); the options above"
                + " override what it sets.")
    java.nio.file.Path specFile;

    @Option(
        names = "--detach",
        description = "Print the run id and return; follow with 'piddm runs watch'.")
    boolean detach;

    @Override
    public Integer call() throws Exception {
      RunSpec runSpec = spec();
      PrintWriter out = spec.commandLine().getOut();
      try (TrainerClient client = connection.open()) {
        Run run = client.start(runSpec);
        if (detach) {
          if (connection.json) {
            RegistryCommands.printJson(out, run);
          } else {
            out.printf(
                "run %s queued; follow it with: piddm runs watch %s%n",
                run.getRunId(), run.getRunId());
            out.flush();
          }
          return 0;
        }
        spec.commandLine()
            .getErr()
            .println("run " + run.getRunId() + " started (Ctrl-C detaches; the run goes on)");
        Run ended = follow(client, run.getRunId(), spec.commandLine().getErr());
        report(ended, connection.json, out);
        return exitCode(ended);
      }
    }

    RunSpec spec() throws IOException {
      RunSpec.Builder b = RunSpec.newBuilder();
      if (specFile != null) {
        try {
          com.google.protobuf.util.JsonFormat.parser()
              .merge(java.nio.file.Files.readString(specFile), b);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "--spec " + specFile + ": " + e.getMessage());
        }
      }
      CommandLine.ParseResult given = spec.commandLine().getParseResult();
      if (given.hasMatchedOption("--pde") || b.getPde() == Pde.PDE_UNSPECIFIED) {
        b.setPde(wirePde(spec.commandLine(), pde));
      }
      if (given.hasMatchedOption("--profile") || b.getProfile().isEmpty()) {
        b.setProfile(profile);
      }
      if (resolution != 0) {
        b.setResolution(resolution);
      }
      if (seed != 0) {
        b.setSeed(seed);
      }
      b.putAllLabels(labels);
      if (count != 0) {
        b.getDatasetBuilder().setCount(count);
      }
      if (teacherSteps != 0) {
        b.getTeacherBuilder().setSteps(teacherSteps);
      }
      if (bank != 0) {
        b.getPairBankBuilder().setSize(bank);
      }
      if (studentSteps != 0) {
        b.getStudentBuilder().setSteps(studentSteps);
      }
      if (lambda != null) {
        b.getStudentBuilder().setLambdaTrain(lambda);
      }
      PublishSettings.Builder publish = b.getPublishBuilder();
      if (noPublish) {
        publish.setSkip(true);
      }
      if (model != null) {
        publish.setModelName(model);
      }
      if (alias != null) {
        publish.setRequestAlias(alias);
      }
      return b.build();
    }
  }

  static Pde wirePde(CommandLine commandLine, String name) {
    try {
      return Pde.valueOf("PDE_" + name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(
          commandLine, "--pde: darcy, poisson, helmholtz or burgers, got " + name);
    }
  }

  /** 0 succeeded, 2 succeeded but the alias did not move, 1 failed or cancelled. */
  static int exitCode(Run run) {
    if (run.getState() != RunState.RUN_STATE_SUCCEEDED) {
      return 1;
    }
    return run.getError().isEmpty() ? 0 : 2;
  }

  @Command(
      name = "runs",
      mixinStandardHelpOptions = true,
      description = "List, inspect, follow and cancel training runs (they survive restarts).",
      subcommands = {Runs.Watch.class, Runs.Show.class, Runs.Cancel.class},
      footer = {
        "",
        "Examples:",
        "  piddm runs                       newest first",
        "  piddm runs --state running",
        "  piddm runs show run-20261126-101500-a1b2c3 --json",
        "  piddm runs watch run-20261126-101500-a1b2c3",
        "  piddm runs cancel run-20261126-101500-a1b2c3 --reason 'wrong lambda'"
      })
  static final class Runs implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin Connection connection;

    @Option(
        names = "--state",
        description = "Only runs in this state: queued, running, succeeded, failed, cancelled.")
    String state;

    @Override
    public Integer call() throws Exception {
      RunState filter = RunState.RUN_STATE_UNSPECIFIED;
      if (state != null) {
        try {
          filter = RunState.valueOf("RUN_STATE_" + state.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "--state: queued, running, succeeded, failed or cancelled");
        }
      }
      PrintWriter out = spec.commandLine().getOut();
      try (TrainerClient client = connection.open()) {
        ListRunsResponse all =
            ListRunsResponse.newBuilder().addAllRuns(client.list(filter)).build();
        if (connection.json) {
          RegistryCommands.printJson(out, all);
          return 0;
        }
        out.printf(
            "%-30s %-10s %-11s %-8s %-12s %-22s %s%n",
            "RUN", "STATE", "PHASE", "PDE", "PDE ERROR", "CREATED", "PUBLISHED");
        for (Run r : all.getRunsList()) {
          out.printf(
              "%-30s %-10s %-11s %-8s %-12s %-22s %s%n",
              r.getRunId(),
              stateName(r.getState()),
              phaseName(r.getPhase()),
              r.getSpec().getPde().name().replace("PDE_", "").toLowerCase(Locale.ROOT)
                  + (r.getSpec().getResolution() == 0 ? "" : r.getSpec().getResolution()),
              r.getMetricsMap().containsKey("pde_error")
                  ? String.format("%.4g", r.getMetricsMap().get("pde_error"))
                  : "–",
              RegistryCommands.when(r.getCreatedAt()),
              r.hasPublished()
                  ? r.getPublished().getModelName() + " v" + r.getPublished().getVersion()
                  : "–");
        }
        out.flush();
        return 0;
      }
    }

    @Command(
        name = "show",
        mixinStandardHelpOptions = true,
        description = "One run: spec, state, metrics, published version.")
    static final class Show implements Callable<Integer> {
      @CommandLine.Spec CommandLine.Model.CommandSpec spec;
      @Mixin Connection connection;

      @Parameters(index = "0", paramLabel = "RUN")
      String runId;

      @Override
      public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (TrainerClient client = connection.open()) {
          Run run = client.get(runId);
          if (connection.json) {
            RegistryCommands.printJson(out, run);
          } else {
            printSummary(run, out);
            out.printf(
                "  phase %s, resumed %d times, created %s by %s%n",
                phaseName(run.getPhase()),
                run.getResumedCount(),
                RegistryCommands.when(run.getCreatedAt()),
                run.getCreatedBy());
            out.flush();
          }
          return 0;
        }
      }
    }

    @Command(
        name = "watch",
        mixinStandardHelpOptions = true,
        description = "Follow a run's progress until it ends.")
    static final class Watch implements Callable<Integer> {
      @CommandLine.Spec CommandLine.Model.CommandSpec spec;
      @Mixin Connection connection;

      @Parameters(index = "0", paramLabel = "RUN")
      String runId;

      @Override
      public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (TrainerClient client = connection.open()) {
          Run ended = follow(client, runId, spec.commandLine().getErr());
          report(ended, connection.json, out);
          return exitCode(ended);
        }
      }
    }

    @Command(
        name = "cancel",
        mixinStandardHelpOptions = true,
        description =
            "Stop a queued or running run at the next step boundary; its checkpoints stay.")
    static final class Cancel implements Callable<Integer> {
      @CommandLine.Spec CommandLine.Model.CommandSpec spec;
      @Mixin Connection connection;

      @Parameters(index = "0", paramLabel = "RUN")
      String runId;

      @Option(names = "--reason", description = "Why, kept with the run.")
      String reason;

      @Override
      public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (TrainerClient client = connection.open()) {
          Run run = client.cancel(runId, reason);
          if (connection.json) {
            RegistryCommands.printJson(out, run);
          } else {
            out.printf("run %s: %s%n", run.getRunId(), stateName(run.getState()));
            out.flush();
          }
          return 0;
        }
      }
    }
  }
}
