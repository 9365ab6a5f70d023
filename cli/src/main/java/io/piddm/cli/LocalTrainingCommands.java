package io.piddm.cli;

import com.google.gson.GsonBuilder;
import io.piddm.diffusion.distill.DistillSettings;
import io.piddm.diffusion.distill.Distillation;
import io.piddm.diffusion.edm.GuidedSampler;
import io.piddm.diffusion.eval.ModelEvaluation;
import io.piddm.diffusion.eval.SampleEvaluation;
import io.piddm.diffusion.model.TrainedModel;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.diffusion.train.TeacherTraining;
import io.piddm.diffusion.train.TrainSettings;
import io.piddm.diffusion.train.TrainingListener;
import io.piddm.physics.dataset.DatasetSidecar;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.task.DownstreamTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code piddm teacher | distill | eval | export}: model work on this machine, without the mesh.
 * Train a teacher on a dataset folder, distil it into a one-step student, evaluate either against a
 * held-out reference set, export a student to ONNX. Each command parses its options and calls the
 * library entry point the trainer service runs too (TeacherTraining, Distillation, ModelEvaluation,
 * TrainedModelExport).
 */
final class LocalTrainingCommands {

  private LocalTrainingCommands() {}

  /** Optimiser options shared by teacher and student training. */
  static final class Optimiser {
    @Option(names = "--steps", required = true, description = "Optimiser steps.")
    long steps;

    @Option(
        names = "--batch",
        defaultValue = "32",
        description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(
        names = "--lr",
        defaultValue = "1e-3",
        description = "Peak learning rate (default ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(
        names = "--warmup",
        defaultValue = "200",
        description = "Warm-up steps (default ${DEFAULT-VALUE}).")
    long warmup;

    @Option(
        names = "--clip",
        defaultValue = "1.0",
        description = "Gradient-norm clip (default ${DEFAULT-VALUE}).")
    double clip;

    @Option(
        names = "--ema",
        defaultValue = "0.999",
        description = "EMA decay (default ${DEFAULT-VALUE}).")
    double ema;

    @Option(
        names = "--seed",
        defaultValue = "1",
        description = "Training seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(
        names = "--checkpoint-every",
        defaultValue = "500",
        description =
            "Steps between checkpoints (default ${DEFAULT-VALUE}); a run started again resumes.")
    long checkpointEvery;

    @Option(
        names = "--final-lr-fraction",
        defaultValue = "1",
        description =
            "Cosine decay after the warm-up to this fraction of the peak learning rate at the"
                + " last step; 1 keeps it constant (default ${DEFAULT-VALUE}).")
    double finalLearningRateFraction;

    TrainSettings settings(CommandLine commandLine, Path checkpoints) {
      try {
        return new TrainSettings(
            batch,
            steps,
            learningRate,
            warmup,
            clip,
            ema,
            seed,
            checkpointEvery,
            checkpoints,
            finalLearningRateFraction);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(commandLine, e.getMessage());
      }
    }
  }

  /** A progress bar on stderr fed by a training listener. */
  static final class TrainingBar implements TrainingListener, AutoCloseable {
    private final ProgressBar bar;

    TrainingBar(String task, long steps) {
      bar = ProgressBars.onStderr(task, steps);
    }

    @Override
    public void onStep(long step, long total, double loss, double rate, double eta, long skipped) {
      bar.stepTo(step);
      bar.setExtraMessage(
          String.format(" loss %.4f%s", loss, skipped > 0 ? " skipped " + skipped : ""));
    }

    @Override
    public void close() {
      bar.close();
    }
  }

  @Command(
      name = "teacher",
      mixinStandardHelpOptions = true,
      description = {
        "Train the EDM teacher on a dataset folder (from 'piddm data generate') and save it as",
        "OUT/model.json + OUT/weights.ndlist (EMA weights). Checkpoints go to OUT/checkpoint:",
        "the same command started again resumes a killed run where its last checkpoint left it."
      },
      footer = {
        "",
        "Examples:",
        "  piddm teacher --data data/darcy32 --steps 3000 --out models/teacher-darcy32",
        "  piddm teacher --data data/p16 --preset tiny --steps 200 --batch 8 --out /tmp/t"
      })
  static final class Teacher implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", required = true, description = "Training dataset folder.")
    Path data;

    @Option(names = "--out", required = true, description = "Output model folder.")
    Path out;

    @Option(
        names = "--preset",
        defaultValue = "auto",
        description =
            "Network size: auto (by resolution), tiny, 32 or 64 (default ${DEFAULT-VALUE}).")
    String preset;

    @Mixin Optimiser optimiser;

    @Override
    public Integer call() throws IOException {
      DatasetSidecar sidecar = DatasetSidecar.read(data);
      int channels = Pde.parse(sidecar.pde()).channels().size();
      UNetSpec network =
          switch (preset) {
            case "auto" -> TeacherTraining.presetFor(sidecar.resolution(), channels);
            case "tiny" -> UNetSpec.tiny(channels);
            case "32" -> UNetSpec.preset32(channels);
            case "64" -> UNetSpec.preset64(channels);
            default ->
                throw new CommandLine.ParameterException(
                    spec.commandLine(), "--preset: auto, tiny, 32 or 64, got " + preset);
          };
      TrainSettings settings = optimiser.settings(spec.commandLine(), out.resolve("checkpoint"));
      TrainedModel model;
      try (TrainingBar bar = new TrainingBar("teacher", settings.steps())) {
        model = TeacherTraining.run(data, network, settings, out, bar);
      }
      System.out.printf(
          "teacher: %s at %d², %d steps, %.0f s, %s skipped steps → %s%n",
          model.pde(),
          model.resolution(),
          settings.steps(),
          ((Number) model.training().get("seconds")).doubleValue(),
          model.training().get("skippedSteps"),
          out);
      return 0;
    }
  }

  @Command(
      name = "distill",
      mixinStandardHelpOptions = true,
      description = {
        "Distil a teacher into the one-step PIDDM student: a bank of (ε, x0) pairs from the",
        "teacher's Heun ODE, and the loss ‖d(ε) − x0‖² + λ_train‖R(d(ε))/rms(f)‖² under the",
        "consistent residual spec (λ_train = 0: pure distillation). Saves OUT/model.json and",
        "OUT/weights.ndlist; checkpoints in OUT/checkpoint, resumed when started again."
      },
      footer = {
        "",
        "Examples:",
        "  piddm distill --teacher models/teacher-darcy32 --lambda 0.1 --steps 2000 --out models/piddm-darcy32",
        "  piddm distill --teacher models/teacher-darcy32 --lambda 0 --steps 2000 --out models/pure-darcy32"
      })
  static final class Distill implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--teacher", required = true, description = "Teacher model folder.")
    Path teacher;

    @Option(names = "--out", required = true, description = "Output model folder.")
    Path out;

    @Option(
        names = "--lambda",
        defaultValue = "0.1",
        description = "λ_train (default ${DEFAULT-VALUE}).")
    double lambda;

    @Option(
        names = "--bank",
        defaultValue = "512",
        description = "Pairs in the bank (default ${DEFAULT-VALUE}).")
    int bank;

    @Option(
        names = "--teacher-steps",
        defaultValue = "18",
        description = "Heun steps per pair (default ${DEFAULT-VALUE}).")
    int teacherSteps;

    @Option(
        names = "--refresh-every",
        defaultValue = "200",
        description =
            "Student steps between bank refreshes, 0 = fixed bank (default ${DEFAULT-VALUE}).")
    long refreshEvery;

    @Option(
        names = "--refresh-fraction",
        defaultValue = "0.1",
        description = "Fraction of the bank replaced at each refresh (default ${DEFAULT-VALUE}).")
    double refreshFraction;

    @Option(
        names = "--residual-warmup",
        defaultValue = "0",
        description =
            "Student steps with the residual term off while the student learns its pairs"
                + " (default ${DEFAULT-VALUE}).")
    long residualWarmup;

    @Option(
        names = "--residual-ramp",
        defaultValue = "0",
        description =
            "Steps over which λ then rises linearly to --lambda (default ${DEFAULT-VALUE}).")
    long residualRamp;

    @Option(
        names = "--residual-solution-only",
        description =
            "The residual term's gradient reaches the network through u only; a and other input"
                + " channels enter R as constants (--residual-coefficient-gradient 0).")
    boolean residualSolutionOnly;

    @Option(
        names = "--residual-coefficient-gradient",
        defaultValue = "1",
        description =
            "β in [0, 1]: the share of the residual term's gradient that reaches the network"
                + " through a and other input channels; u gets all of it (default"
                + " ${DEFAULT-VALUE}).")
    double coefficientGradient;

    @Option(
        names = "--solution-weight",
        defaultValue = "0",
        description =
            "μ: weight of the solution term, the residual through the inverse Dirichlet Laplacian"
                + " (the error of u relative to a typical solution), beside the residual term and"
                + " under the same λ; 0 leaves it out. Darcy, Poisson and Helmholtz only"
                + " (default: ${DEFAULT-VALUE}).")
    double solutionWeight;

    @Option(
        names = "--pseudo-huber",
        defaultValue = "0",
        description =
            "c: the regression term's loss per pixel is the pseudo-Huber √(d² + c²) − c of the"
                + " normalised difference d to the teacher's x0, an absolute error beyond c;"
                + " 0 keeps the squared error (default: ${DEFAULT-VALUE}).")
    double pseudoHuber;

    @Option(
        names = "--solved-targets",
        description =
            "Replace each pair's u by the solver's solution for the teacher's a, so the student"
                + " regresses onto fields that solve their PDE (Darcy, Poisson, Helmholtz).")
    boolean solvedTargets;

    @Option(
        names = "--marginal-weight",
        defaultValue = "0",
        description =
            "ν: weight of the marginal term, per channel the squared 1-D Wasserstein distance"
                + " between the batch's output pixel values and its targets' (sorted, matched by"
                + " rank), so the student keeps the values the data takes; 0 leaves it out"
                + " (default: ${DEFAULT-VALUE}).")
    double marginalWeight;

    @Mixin Optimiser optimiser;

    @Override
    public Integer call() throws IOException {
      DistillSettings distill;
      try {
        distill =
            new DistillSettings(
                bank,
                teacherSteps,
                refreshEvery,
                refreshFraction,
                lambda,
                32,
                residualWarmup,
                residualRamp,
                residualSolutionOnly ? 0 : coefficientGradient,
                solutionWeight,
                pseudoHuber,
                solvedTargets,
                marginalWeight);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      TrainSettings settings = optimiser.settings(spec.commandLine(), out.resolve("checkpoint"));
      Distillation.Result result;
      try (TrainingBar bar = new TrainingBar("student", settings.steps())) {
        result = Distillation.run(teacher, distill, settings, out, bar);
      }
      System.out.printf(
          "student: λ_train %.3g, %d steps in %.0f s; %d teacher pairs cost %.1f s (%.3f s/pair);"
              + " %d skipped steps → %s%n",
          lambda,
          settings.steps(),
          result.trainingSeconds(),
          result.pairsGenerated(),
          result.pairGenerationSeconds(),
          result.pairGenerationSeconds() / Math.max(1, result.pairsGenerated()),
          result.skippedSteps(),
          out);
      return 0;
    }
  }

  @Command(
      name = "eval",
      mixinStandardHelpOptions = true,
      description = {
        "Evaluate a teacher or student against a held-out reference set made by the solver with",
        "another seed: PDE error under both residual specs, MMSE, SMSE, network evaluations and",
        "wall-clock per sample; for a teacher also the guided downstream tasks (forward, inverse,",
        "sparse points).",
        "Writes OUT/evaluation.json and PNG sheets."
      },
      footer = {
        "",
        "Examples:",
        "  piddm data generate --pde darcy --resolution 32 --count 64 --seed 2 --out data/darcy32-ref",
        "  piddm eval --model models/teacher-darcy32 --reference data/darcy32-ref --out eval/teacher",
        "  piddm eval --model models/piddm-darcy32 --reference data/darcy32-ref --samples 64 --json"
      })
  static final class Eval implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model folder (teacher or student).")
    Path model;

    @Option(names = "--reference", required = true, description = "Held-out dataset folder.")
    Path reference;

    @Option(
        names = "--out",
        required = true,
        description = "Output folder for the report and PNGs.")
    Path out;

    @Option(
        names = "--samples",
        defaultValue = "32",
        description = "Generated samples (default ${DEFAULT-VALUE}).")
    int samples;

    @Option(
        names = "--seed",
        defaultValue = "3",
        description = "Sampling seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(
        names = "--heun-steps",
        defaultValue = "18",
        description = "Teacher Heun steps (default ${DEFAULT-VALUE}).")
    int heunSteps;

    @Option(
        names = "--tasks",
        defaultValue = "4",
        description = "Reference fields per guided task, 0 = none (default ${DEFAULT-VALUE}).")
    int tasks;

    @Option(
        names = "--sparse-fraction",
        defaultValue = "0.03",
        description =
            "Share of grid points observed in the sparse task, drawn from --seed"
                + " (default ${DEFAULT-VALUE}).")
    double sparseFraction;

    @Option(
        names = "--guided-steps",
        defaultValue = "200",
        description = "Guided Heun steps (default ${DEFAULT-VALUE}).")
    int guidedSteps;

    @Option(
        names = "--zeta-obs",
        defaultValue = "50",
        description = "Observation guidance weight (default ${DEFAULT-VALUE}).")
    double zetaObs;

    @Option(
        names = "--zeta-pde",
        defaultValue = "1e-4",
        description = "Residual guidance weight (default ${DEFAULT-VALUE}).")
    double zetaPde;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
      ModelEvaluation.Settings settings;
      try {
        settings =
            new ModelEvaluation.Settings(
                samples,
                seed,
                heunSteps,
                16,
                tasks,
                new GuidedSampler.Settings(guidedSteps, zetaObs, zetaPde),
                new DownstreamTask.SparsePoints(sparseFraction, seed));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      ModelEvaluation.Result result;
      try (ProgressBar bar = ProgressBars.onStderr("sampling", samples)) {
        result = ModelEvaluation.evaluate(model, reference, settings, out, bar::stepTo);
      }
      if (json) {
        System.out.println(
            new GsonBuilder()
                .setPrettyPrinting()
                .serializeSpecialFloatingPointValues()
                .create()
                .toJson(result));
        return 0;
      }
      System.out.printf(
          "%-18s %5s %12s %-28s %-28s %-14s %-22s %-22s%n",
          "method",
          "NFE",
          "s/sample",
          "PDE error rel (training)",
          "PDE error rel (published)",
          "u vs solver",
          "MMSE",
          "SMSE");
      // the spec the evaluated model was trained with, for every row (the solver's included)
      String trained = TrainedModel.read(model).residualSpec().id();
      for (SampleEvaluation.Report r : result.samples()) {
        Pde kind = Pde.parse(r.pde());
        Double consistent = r.pdeErrorRelative().get(trained);
        Double published =
            r.pdeErrorRelative()
                .get(io.piddm.physics.residual.ResidualSpecs.publishedCompatible(kind).id());
        System.out.printf(
            "%-18s %5d %12.4f %-28s %-28s %-14s %-22s %-22s%n",
            r.method(),
            r.networkEvaluations(),
            r.secondsPerSample(),
            consistent == null ? "–" : String.format("%.4g", consistent),
            published == null ? "–" : String.format("%.4g", published),
            r.solutionConsistency() == null
                ? "–"
                : String.format("%.4g", r.solutionConsistencyMedian()),
            compact(r.mmse()),
            compact(r.smse()));
      }
      for (ModelEvaluation.TaskReport t : result.tasks()) {
        System.out.printf(
            "%-18s %s (%s → %s, %d fields): relative L2 %.4f ± %.4f%s, %d NFE, %.1f s/task%n",
            t.method(),
            t.task(),
            t.observed(),
            t.estimated(),
            t.count(),
            t.relativeL2Mean(),
            t.relativeL2Std(),
            t.errorRateMean() == null
                ? ""
                : String.format(", error rate %.4f ± %.4f", t.errorRateMean(), t.errorRateStd()),
            t.networkEvaluations(),
            t.secondsPerTask());
      }
      System.out.println("report: " + out.resolve("evaluation.json"));
      return 0;
    }

    private static String compact(Map<String, Double> perChannel) {
      StringBuilder s = new StringBuilder();
      perChannel.forEach(
          (c, v) ->
              s.append(s.length() == 0 ? "" : " ").append(c).append(String.format(" %.3g", v)));
      return s.toString();
    }
  }

  @Command(
      name = "export",
      mixinStandardHelpOptions = true,
      description = {
        "Write a distilled student as OUT/model.onnx (ε → x, physical units) and",
        "OUT/reconstruct.onnx (loss, ∂loss/∂ε and x_mix for reconstructions), opset 17, with the",
        "PDE, grid, normalisation and residual spec in the files' metadata; loads both with ONNX",
        "Runtime and checks model.onnx against the DJL student before it returns."
      },
      footer = {
        "",
        "Examples:",
        "  piddm export --model models/piddm-darcy32 --out models/piddm-darcy32/onnx",
        "  piddm export --model models/piddm-darcy32 --name darcy32 --out /tmp/onnx"
      })
  static final class Export implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Student model folder.")
    Path model;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Option(
        names = "--name",
        defaultValue = "piddm-student",
        description = "Model name in the metadata (default ${DEFAULT-VALUE}).")
    String name;

    @Override
    public Integer call() throws Exception {
      var files =
          io.piddm.export.TrainedModelExport.export(
              model, name, io.piddm.pipeline.CodeVersion.current(), out);
      double difference = io.piddm.export.TrainedModelExport.verify(model, files.model());
      System.out.printf(
          "wrote %s (%d bytes) and %s (%d bytes); ONNX Runtime vs DJL max |Δx| %.2e%n",
          files.model(),
          java.nio.file.Files.size(files.model()),
          files.reconstruct(),
          java.nio.file.Files.size(files.reconstruct()),
          difference);
      return 0;
    }
  }
}
