package io.piddm.cli;

import io.piddm.api.sampler.ReconstructSpec;
import io.piddm.api.sampler.Reconstructed;
import io.piddm.api.sampler.SamplerClient;
import io.piddm.api.sampler.ServedModel;
import io.piddm.cli.sampler.NpyFields;
import io.piddm.cli.sampler.Observations;
import io.piddm.cli.sampler.SamplerOutputs;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code piddm reconstruct}: a streamed forward / inverse / sparse reconstruction by the sampler.
 */
@Command(
    name = "reconstruct",
    mixinStandardHelpOptions = true,
    description = {
      "Reconstruct a whole field from observations with the sampler's student",
      "(Adam on the noise, streamed: a progress bar on stderr). Writes",
      "OUT/reconstruction.npy (float32 C×H×W), OUT/reconstruction.png (rows:",
      "observation, reconstruction, error: |x − truth| with --truth, else the PDE",
      "residual |R|) and OUT/reconstruction.json; with --ensemble > 1 also",
      "OUT/spread.npy and OUT/members.npy (M×C×H×W).",
      "",
      "--observations FILE.npy (float32 or float64, C order) is one of",
      "  [N,C,H,W]  field --index of a stack (a dataset's fields.npy, samples.npy)",
      "  [C,H,W]    every channel of the model (those not observed are ignored)",
      "  [K,H,W]    the K observed channels, in the model's channel order",
      "  [H,W]      the one observed channel",
      "Observed entries: the --observe channels in full, or where a --mask of 0/1",
      "(same layouts; [H,W] applies to every observed channel) is 1, or --points N",
      "random grid nodes (the same in every observed channel, drawn from --seed).",
      "Values outside the mask are not sent (NaN there is fine).",
      "",
      "The task follows from the observed channels (the first only: forward, the",
      "last only: inverse, else reconstruction) unless --task is given. --steps,",
      "--lr and the weights default to the served model's settings for the task",
      "(chosen on a validation set and published with it); give any weight and the",
      "others not given are 0. A forward task also observes the solution's known",
      "boundary values (u = 0) unless --no-boundary.",
      "With --truth the relative L2 error of every channel is printed too.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  piddm sample --count 1 --seed 7 --out /tmp/truth",
      "  # inverse: recover a from u, scored against the sampled field",
      "  piddm reconstruct --observations /tmp/truth/samples.npy --observe u \\",
      "      --truth /tmp/truth/samples.npy --out /tmp/inverse",
      "  # forward: solve for u from field 3 of a dataset's coefficient",
      "  piddm reconstruct --observations data/darcy32-ref/fields.npy --index 3 \\",
      "      --observe a --steps 200 --out /tmp/forward",
      "  # 30 random points of every channel",
      "  piddm reconstruct --observations field.npy --points 30 --seed 1 \\",
      "      --out /tmp/sparse --json",
      "  piddm reconstruct --observations u.npy --observe u --mask mask.npy \\",
      "      --ensemble 4 --out /tmp/masked"
    })
final class ReconstructCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin SamplerOptions sampler;

  @Option(
      names = "--observations",
      required = true,
      paramLabel = "FILE.npy",
      description = "Observed values (layouts above).")
  Path observations;

  @Option(
      names = "--index",
      defaultValue = "0",
      description =
          "Field of an [N,C,H,W] stack for --observations, --truth and --mask (default 0).")
  int index;

  @Option(
      names = "--observe",
      split = ",",
      paramLabel = "CHANNEL",
      description = "Observed channels, e.g. a, u or a,u (default: every channel of the model).")
  List<String> observe;

  @Option(
      names = "--mask",
      paramLabel = "FILE.npy",
      description = "1 where observed, 0 elsewhere (layouts above).")
  Path mask;

  @Option(
      names = "--points",
      paramLabel = "N",
      description = "Observe N random grid nodes of each observed channel (drawn from --seed).")
  Integer points;

  @Option(
      names = "--boundary",
      negatable = true,
      description =
          "Also observe the solution's boundary values, u = 0 (default: on for a forward task of"
              + " a PDE that fixes them).")
  Boolean boundary;

  @Option(
      names = "--task",
      description = "forward, inverse or reconstruction (default: from the observed channels).")
  ReconstructSpec.Task task;

  @Option(names = "--steps", description = "Adam steps (default: the model's, by task).")
  Integer steps;

  @Option(
      names = "--lr",
      description = "Adam learning rate on the noise (default: the model's, by task).")
  Double learningRate;

  @Option(
      names = "--lambda-obs",
      description = "Observation weight λ_obs (default: the model's, by task).")
  Double lambdaObs;

  @Option(
      names = "--lambda-pde",
      description = "Residual weight λ_pde (default: the model's, by task).")
  Double lambdaPde;

  @Option(
      names = "--lambda-solution",
      description =
          "Weight of the solution term, the residual through the inverse Dirichlet Laplacian"
              + " (default: the model's, by task; 0: not used; > 0 needs a model whose graph has"
              + " it).")
  Double lambdaSolution;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "Noise seed of the first member, and the seed of --points (default 0).")
  long seed;

  @Option(
      names = "--ensemble",
      defaultValue = "1",
      description = "Members from seeds seed, seed+1, … (default ${DEFAULT-VALUE}).")
  int ensemble;

  @Option(
      names = "--truth",
      paramLabel = "FILE.npy",
      description = "Reference field ([C,H,W] or [N,C,H,W]) for relative L2 errors.")
  Path truth;

  @Option(names = "--out", required = true, description = "Output folder.")
  Path out;

  @Option(
      names = "--progress",
      negatable = true,
      defaultValue = "true",
      // picocli: without it a default-true negatable option reads --no-x as true
      fallbackValue = "true",
      description = "Show a progress bar on stderr (default on).")
  boolean progress;

  @Override
  public Integer call() throws Exception {
    validate();
    NpyFields.Array observed = read("--observations", observations);
    NpyFields.Array maskFile = mask == null ? null : read("--mask", mask);
    NpyFields.Array truthFile = truth == null ? null : read("--truth", truth);
    try (SamplerClient client = sampler.open()) {
      ServedModel served = client.served();
      Request request = request(served, observed, maskFile, truthFile);
      Reconstructed result = run(client, request.spec());
      write(result, request);
    }
    return 0;
  }

  /** What goes to the sampler, and what the pictures and metrics need besides. */
  record Request(
      ReconstructSpec spec,
      Observations.Planes observations,
      boolean[] observed,
      boolean boundary,
      float[] truth) {}

  private void validate() {
    List<String> problems = new ArrayList<>();
    if (steps != null && steps < 1) {
      problems.add("--steps must be >= 1, got " + steps);
    }
    if (ensemble < 1) {
      problems.add("--ensemble must be >= 1, got " + ensemble);
    }
    if (mask != null && points != null) {
      problems.add("--mask and --points are alternatives: give one");
    }
    if (points != null && points < 1) {
      problems.add("--points must be >= 1, got " + points);
    }
    if (index < 0) {
      problems.add("--index must be >= 0, got " + index);
    }
    for (var e :
        new Object[][] {
          {"--lr", learningRate},
          {"--lambda-obs", lambdaObs},
          {"--lambda-pde", lambdaPde},
          {"--lambda-solution", lambdaSolution}
        }) {
      Double v = (Double) e[1];
      if (v != null && (!Double.isFinite(v) || v < 0)) {
        problems.add(e[0] + " must be finite and >= 0, got " + v);
      }
    }
    if (!problems.isEmpty()) {
      throw usage(String.join("; ", problems));
    }
  }

  /** Builds the request for {@code served} from the files; usage errors for what cannot fit. */
  Request request(
      ServedModel served,
      NpyFields.Array observedFile,
      NpyFields.Array maskFile,
      NpyFields.Array truthFile) {
    int channels = served.channelCount();
    boolean[] observed = new boolean[channels];
    try {
      if (observe == null || observe.isEmpty()) {
        Arrays.fill(observed, true);
      } else {
        for (String name : observe) {
          observed[served.channelIndex(name.trim())] = true;
        }
      }
      Observations.Planes planes =
          Observations.arrange(observedFile, index, channels, observed, "--observations");
      int h = planes.height();
      int w = planes.width();
      ReconstructSpec.Task kind = task != null ? task : Observations.task(observed);
      var pde = served.physicsPde();
      boolean solutionFixed = pde.isPresent() && pde.get().solutionFixedOnBoundary();
      int last = channels - 1;
      boolean withBoundary =
          boundary != null
              ? boundary
              : kind == ReconstructSpec.Task.FORWARD && solutionFixed && !observed[last];
      if (withBoundary && !solutionFixed) {
        throw new IllegalArgumentException(
            "--boundary: "
                + (pde.isEmpty() ? "the sampler does not name the model's PDE" : pde.get().id())
                + " does not fix the solution on the boundary");
      }
      float[] values = planes.data();
      List<ReconstructSpec.Point> edge =
          withBoundary ? Observations.boundary(last, h, w) : List.of();
      float[] dense = null;
      List<ReconstructSpec.Point> pointList = null;
      float[] observedMask;
      if (points != null) {
        pointList = new ArrayList<>(Observations.randomPoints(points, seed, observed, h, w));
        pointList.addAll(edge);
        observedMask = new float[values.length];
        Observations.mark(observedMask, pointList, h, w);
      } else {
        dense =
            maskFile != null
                ? Observations.arrangeMask(maskFile, index, channels, observed).data()
                : Observations.channelMask(observed, h, w);
        if (dense.length != values.length) {
          throw new IllegalArgumentException(
              "--mask: shape "
                  + maskFile.shapeText()
                  + " does not fit the observations' "
                  + Arrays.toString(planes.shape()));
        }
        Observations.mark(dense, edge, h, w);
        observedMask = dense;
      }
      for (int k = 0; k < values.length; k++) {
        if (observedMask[k] == 0) {
          values[k] = 0f; // never sent: the sampler ignores them, and NaN there means "missing"
        }
      }
      for (ReconstructSpec.Point p : edge) {
        values[(p.channel() * h + p.row()) * w + p.col()] = 0f; // u = 0 on the boundary
      }
      float[] reference = null;
      if (truthFile != null) {
        Observations.Planes t = Observations.arrangeField(truthFile, index, channels, "--truth");
        if (t.height() != served.height() || t.width() != served.width()) {
          throw new IllegalArgumentException(
              "--truth: shape "
                  + truthFile.shapeText()
                  + " is not the model's grid "
                  + served.height()
                  + "×"
                  + served.width());
        }
        reference = t.data();
      }
      // any weight given sets all three (the others 0); none given leaves them to the model
      boolean weightsGiven = lambdaObs != null || lambdaPde != null || lambdaSolution != null;
      ReconstructSpec spec =
          new ReconstructSpec(
              sampler.model(),
              kind,
              values,
              channels,
              h,
              w,
              dense,
              pointList,
              weightsGiven && lambdaObs != null ? lambdaObs : 0,
              weightsGiven && lambdaPde != null ? lambdaPde : 0,
              weightsGiven ? (lambdaSolution != null ? lambdaSolution : 0) : null,
              steps != null ? steps : 0,
              learningRate != null ? learningRate : 0,
              0,
              seed,
              ensemble);
      return new Request(spec, planes, observed, withBoundary, reference);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  private Reconstructed run(SamplerClient client, ReconstructSpec request) {
    if (!progress) {
      return client.reconstruct(request, null);
    }
    try (ProgressBar bar =
        ProgressBars.onStderr("reconstruct", request.steps() > 0 ? request.steps() : -1)) {
      // steps left to the model: the bar learns the run's length from the first progress message
      boolean[] sized = {request.steps() > 0};
      Consumer<SamplerClient.Progress> onProgress =
          p -> {
            if (p.member() == 0) {
              if (!sized[0] && p.steps() > 0) {
                bar.maxHint(p.steps());
                sized[0] = true;
              }
              bar.stepTo(p.step());
              bar.setExtraMessage(
                  String.format(
                      Locale.ROOT, " loss %.3g obs %.3g", p.loss(), p.observationError()));
            }
          };
      return client.reconstruct(request, onProgress);
    }
  }

  private void write(Reconstructed r, Request request) throws IOException {
    Files.createDirectories(out);
    float[] maskArray = request.spec().maskArray();
    List<Path> files =
        new ArrayList<>(
            SamplerOutputs.writeReconstruction(
                out, r, request.observations(), maskArray, request.truth()));
    List<SamplerOutputs.ChannelError> errors =
        request.truth() == null
            ? null
            : SamplerOutputs.compare(r.model(), r.mean(), request.truth(), request.observed());
    Path reportFile = out.resolve("reconstruction.json");
    files.add(reportFile);
    String json = SamplerOptions.json(report(r, request, errors, files));
    SamplerOptions.writeText(reportFile, json);
    PrintWriter text = spec.commandLine().getOut();
    if (sampler.json) {
      text.println(json);
    } else {
      print(text, r, request, errors, files);
    }
    text.flush();
  }

  private Map<String, Object> report(
      Reconstructed r,
      Request request,
      List<SamplerOutputs.ChannelError> errors,
      List<Path> files) {
    ReconstructSpec s = request.spec();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("sampler", sampler.sampler);
    m.put("model", r.model().toMap());
    m.put("task", s.task().id());
    m.put("observed_channels", observedNames(r.model(), request.observed()));
    m.put("mask", s.points() != null ? "points" : mask != null ? "file" : "channels");
    m.put("boundary_observed", request.boundary());
    m.put("observed_entries", s.observedEntries());
    m.put("steps", r.steps());
    m.put("learning_rate", r.settings().learningRate());
    m.put("lambda_obs", r.settings().lambdaObs());
    m.put("lambda_pde", r.settings().lambdaPde());
    m.put("lambda_solution", r.settings().lambdaSolution());
    m.put("seed", s.seed());
    m.put("ensemble", Math.max(1, s.ensembleSize()));
    m.put("pde_error", r.pdeError());
    m.put("relative_pde_error", r.relativePdeError());
    m.put("observation_error", r.observationError());
    if (errors != null) {
      List<Map<String, Object>> list = new ArrayList<>();
      for (SamplerOutputs.ChannelError e : errors) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("channel", e.channel());
        c.put("observed", e.observed());
        c.put("relative_l2", e.relativeL2());
        if (e.errorRate() != null) {
          c.put("error_rate", e.errorRate());
        }
        list.add(c);
      }
      m.put("truth", list);
    }
    m.put("server_millis", r.serverMillis());
    m.put("round_trip_millis", r.roundTripMillis());
    m.put("files", files.stream().map(Path::toString).toList());
    return m;
  }

  private void print(
      PrintWriter out,
      Reconstructed r,
      Request request,
      List<SamplerOutputs.ChannelError> errors,
      List<Path> files) {
    ReconstructSpec s = request.spec();
    out.printf(
        Locale.ROOT,
        "%s: %s from %s%s (%d observed entries), %d steps, lr %.3g, λ_obs %.3g, λ_pde %.3g,"
            + " seed %d%s%n",
        r.model().describe(),
        s.task().id(),
        String.join(", ", observedNames(r.model(), request.observed())),
        request.boundary() ? " + boundary values" : "",
        s.observedEntries(),
        r.steps(),
        r.settings().learningRate(),
        r.settings().lambdaObs(),
        r.settings().lambdaPde(),
        s.seed(),
        s.ensembleSize() > 1 ? ", " + s.ensembleSize() + " members" : "");
    out.printf(
        Locale.ROOT,
        "PDE error %.4e (mean R²), relative %.4e (‖R‖/‖f‖); observation error %.4e (relative L2"
            + " on the observed entries)%n",
        r.pdeError(),
        r.relativePdeError(),
        r.observationError());
    if (errors != null) {
      List<String> parts = new ArrayList<>();
      for (SamplerOutputs.ChannelError e : errors) {
        parts.add(
            String.format(
                Locale.ROOT,
                "%s %.4f (%s)%s",
                e.channel(),
                e.relativeL2(),
                e.observed() ? "observed" : "estimated",
                e.errorRate() == null
                    ? ""
                    : String.format(Locale.ROOT, ", error rate %.4f", e.errorRate())));
      }
      out.println("relative L2 vs truth: " + String.join("; ", parts));
    }
    out.printf(
        Locale.ROOT,
        "%.1f ms on the sampler, %.1f ms round trip%n",
        r.serverMillis(),
        r.roundTripMillis());
    out.printf(
        "wrote %s (float32 %s), %s%n",
        files.get(0),
        SampleCommand.shapeText(r.shape()),
        String.join(", ", files.subList(1, files.size()).stream().map(Path::toString).toList()));
  }

  private static List<String> observedNames(ServedModel m, boolean[] observed) {
    List<String> names = new ArrayList<>();
    for (int c = 0; c < observed.length; c++) {
      if (observed[c]) {
        names.add(m.channels().get(c));
      }
    }
    return names;
  }

  private NpyFields.Array read(String option, Path file) {
    try {
      return NpyFields.read(file);
    } catch (IOException e) {
      throw usage(option + ": " + e.getMessage());
    }
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
