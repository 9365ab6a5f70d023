package io.piddm.cli;

import com.google.gson.GsonBuilder;
import io.piddm.inference.OnnxSessions;
import io.piddm.inference.Reconstruction;
import io.piddm.inference.StudentModel;
import io.piddm.inference.eval.ReconstructionEvaluation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "eval-reconstruct",
    mixinStandardHelpOptions = true,
    description = {
      "Evaluate an exported student's reconstructions the way the sampler runs them (Adam on ε",
      "through reconstruct.onnx) against a held-out reference set: forward (first channel",
      "observed), inverse (last channel observed) and sparse (a fraction of points of every",
      "channel observed) tasks; relative L2 of the estimate, Darcy's error rate, the mean error",
      "every --every steps. Writes OUT/reconstruction.json."
    },
    footer = {
      "",
      "Examples:",
      "  piddm export --model models/piddm-darcy32 --out models/piddm-darcy32/onnx",
      "  piddm eval-reconstruct --model models/piddm-darcy32/onnx --reference data/darcy32-ref \\",
      "      --tasks 16 --steps 200 --out eval/reconstruct"
    })
final class ReconstructEvalCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, description = "Exported student (ONNX folder).")
  Path model;

  @Option(names = "--reference", required = true, description = "Held-out dataset folder.")
  Path reference;

  @Option(names = "--out", required = true, description = "Output folder for the report.")
  Path out;

  @Option(
      names = "--tasks",
      defaultValue = "16",
      description = "Reference fields per task (default ${DEFAULT-VALUE}).")
  int tasks;

  @Option(
      names = "--steps",
      defaultValue = "200",
      description =
          "Evaluations of the graph: Adam steps, or L-BFGS steps and line-search trials (default ${DEFAULT-VALUE}).")
  int steps;

  @Option(
      names = "--lr",
      defaultValue = "0.05",
      description = "Adam learning rate on ε (default ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(
      names = "--lambda-obs",
      defaultValue = "1",
      description = "Observation weight (default ${DEFAULT-VALUE}).")
  double lambdaObs;

  @Option(
      names = "--lambda-pde",
      defaultValue = "1e-4",
      description = "Residual weight (default ${DEFAULT-VALUE}).")
  double lambdaPde;

  @Option(
      names = "--lambda-solution",
      defaultValue = "0",
      description =
          "Weight of the solution term, the residual through the inverse Dirichlet Laplacian"
              + " (default ${DEFAULT-VALUE}: not used; needs a graph that has it).")
  double lambdaSolution;

  @Option(
      names = "--fraction",
      defaultValue = "0.03",
      description = "Observed fraction of points in the sparse task (default ${DEFAULT-VALUE}).")
  double fraction;

  @Option(
      names = "--every",
      defaultValue = "20",
      description = "Record the mean error every this many steps (default ${DEFAULT-VALUE}).")
  int every;

  @Option(
      names = "--optimizer",
      defaultValue = "ADAM",
      description =
          "How ε moves: ADAM (one step per evaluation) or LBFGS (quasi-Newton with a line search;"
              + " --lr is the rms of its first step); --steps counts evaluations either way"
              + " (default ${DEFAULT-VALUE}).")
  Reconstruction.Optimizer optimizer;

  @Option(
      names = "--seed",
      defaultValue = "3",
      description = "Noise and sparse-point seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws Exception {
    ReconstructionEvaluation.Settings settings;
    try {
      settings =
          new ReconstructionEvaluation.Settings(
              tasks,
              steps,
              learningRate,
              lambdaObs,
              lambdaPde,
              lambdaSolution,
              fraction,
              every,
              seed,
              optimizer);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    List<ReconstructionEvaluation.TaskReport> reports;
    try (StudentModel student = StudentModel.open(model, OnnxSessions.Provider.CPU, 1)) {
      reports = ReconstructionEvaluation.evaluate(student, reference, settings);
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("model", model.toAbsolutePath().toString());
    report.put("reference", reference.toAbsolutePath().toString());
    report.put("settings", settings);
    report.put("tasks", reports);
    Files.createDirectories(out);
    Files.writeString(
        out.resolve("reconstruction.json"),
        new GsonBuilder()
            .setPrettyPrinting()
            .serializeSpecialFloatingPointValues()
            .create()
            .toJson(report),
        StandardCharsets.UTF_8);
    for (ReconstructionEvaluation.TaskReport t : reports) {
      StringBuilder trend = new StringBuilder();
      for (int i = 0; i < t.relativeL2ByStep().length; i++) {
        trend.append(String.format(" %d:%.3f", i * every, t.relativeL2ByStep()[i]));
      }
      System.out.printf(
          "%-8s %s → %s (%d fields, %d steps): relative L2 %.4f ± %.4f%s, relative PDE error %.3g,"
              + " %.2f s/task; mean by step%s%n",
          t.task(),
          t.observed(),
          t.estimated(),
          t.count(),
          t.steps(),
          t.relativeL2Mean(),
          t.relativeL2Std(),
          t.errorRateMean() == null
              ? ""
              : String.format(", error rate %.4f ± %.4f", t.errorRateMean(), t.errorRateStd()),
          t.pdeErrorMean(),
          t.secondsPerTask(),
          trend);
    }
    System.out.println("report: " + out.resolve("reconstruction.json"));
    return 0;
  }
}
