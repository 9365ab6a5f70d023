package io.piddm.cli;

import io.piddm.api.sampler.Generated;
import io.piddm.api.sampler.SamplerClient;
import io.piddm.cli.sampler.SamplerOutputs;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code piddm sample}: fields from the sampler's student, as .npy and a PNG sheet. */
@Command(
    name = "sample",
    mixinStandardHelpOptions = true,
    description = {
      "Ask the sampler for COUNT fields from a seed (one network evaluation each,",
      "or PIDDM-ref with --ref-steps) and write OUT/samples.npy (float32 N×C×H×W,",
      "physical units), OUT/samples.png (a row per field, a column per channel;",
      "the first 16 fields) and OUT/sample.json. Prints each field's PDE error:",
      "mean R² under the model's residual spec, as the sampler reports it, and",
      "‖R‖/‖f‖. The same seed and model version give the same bytes.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  piddm sample --count 8 --seed 1 --out samples/darcy",
      "  piddm sample --count 4 --seed 1 --ref-steps 20 --out samples/refined",
      "  piddm sample --model darcy32 --version 3 --count 1 --out /tmp/s --json",
      "  piddm sample --sampler sampler.local:9103 --count 16 --out samples/remote"
    })
final class SampleCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin SamplerOptions sampler;

  @Option(
      names = {"-n", "--count"},
      defaultValue = "4",
      description = "Number of fields (default ${DEFAULT-VALUE}).")
  int count;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "Noise seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--ref-steps",
      defaultValue = "0",
      description =
          "PIDDM-ref: Adam steps on the noise against the PDE residual (default 0: none).")
  int refSteps;

  @Option(
      names = "--lambda-infer",
      defaultValue = "1",
      description = "PIDDM-ref: residual weight (default ${DEFAULT-VALUE}).")
  double lambdaInfer;

  @Option(
      names = "--lambda-solution",
      description =
          "PIDDM-ref: weight of the solution term, the residual through the inverse Dirichlet"
              + " Laplacian (default: the model's, 10 where its graph has the term, else 0).")
  Double lambdaSolution;

  @Option(
      names = "--ref-lr",
      defaultValue = "0.05",
      description = "PIDDM-ref: learning rate (default ${DEFAULT-VALUE}).")
  double refLearningRate;

  @Option(
      names = "--typicality",
      defaultValue = "1",
      description =
          "PIDDM-ref: weight of the penalty (|ε|²/dim − 1)² that keeps the noise typical"
              + " (default ${DEFAULT-VALUE}).")
  double typicality;

  @Option(names = "--out", required = true, description = "Output folder.")
  Path out;

  @Override
  public Integer call() throws Exception {
    validate();
    PrintWriter text = spec.commandLine().getOut();
    SamplerClient.Refinement refinement =
        refSteps == 0
            ? SamplerClient.Refinement.NONE
            : new SamplerClient.Refinement(
                refSteps, lambdaInfer, refLearningRate, typicality, lambdaSolution);
    Generated g;
    try (SamplerClient client = sampler.open()) {
      g = client.generate(sampler.model(), count, seed, refinement);
    }
    Files.createDirectories(out);
    List<Path> files = new ArrayList<>(SamplerOutputs.writeSamples(out, g));
    Path report = out.resolve("sample.json");
    files.add(report);
    String json = SamplerOptions.json(report(g, files));
    SamplerOptions.writeText(report, json);
    if (sampler.json) {
      text.println(json);
    } else {
      print(text, g, files);
    }
    text.flush();
    return 0;
  }

  private void validate() {
    List<String> problems = new ArrayList<>();
    if (count < 1) {
      problems.add("--count must be >= 1, got " + count);
    }
    if (refSteps < 0) {
      problems.add("--ref-steps must be >= 0, got " + refSteps);
    }
    if (lambdaSolution != null && (!Double.isFinite(lambdaSolution) || lambdaSolution < 0)) {
      problems.add("--lambda-solution must be finite and >= 0, got " + lambdaSolution);
    }
    for (var e :
        Map.of(
                "--lambda-infer",
                lambdaInfer,
                "--ref-lr",
                refLearningRate,
                "--typicality",
                typicality)
            .entrySet()) {
      if (!Double.isFinite(e.getValue()) || e.getValue() < 0) {
        problems.add(e.getKey() + " must be finite and >= 0, got " + e.getValue());
      }
    }
    if (!problems.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(), String.join("; ", problems));
    }
  }

  private Map<String, Object> report(Generated g, List<Path> files) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("sampler", sampler.sampler);
    r.put("model", g.model().toMap());
    r.put("count", g.count());
    r.put("seed", g.seed());
    r.put("shape", g.shape());
    r.put("refinement_steps", refSteps);
    r.put("network_evaluations", g.networkEvaluations());
    r.put("pde_error", g.pdeError());
    r.put("relative_pde_error", g.relativePdeError());
    r.put("solution_consistency", g.solutionConsistency());
    r.put("server_millis", g.serverMillis());
    r.put("round_trip_millis", g.roundTripMillis());
    r.put("files", files.stream().map(Path::toString).toList());
    return r;
  }

  private static void print(PrintWriter out, Generated g, List<Path> files) {
    out.printf(
        "%s: %d field%s from seed %d, %d network evaluation%s each%n",
        g.model().describe(),
        g.count(),
        g.count() == 1 ? "" : "s",
        g.seed(),
        g.networkEvaluations(),
        g.networkEvaluations() == 1 ? "" : "s");
    out.printf(
        "%6s  %20s  %20s  %22s%n",
        "field", "PDE error (mean R²)", "relative (‖R‖/‖f‖)", "u vs solver (rel. L2)");
    for (int i = 0; i < g.count(); i++) {
      out.printf(
          "%6d  %20.4e  %20.4e  %22.4e%n",
          i, g.pdeError()[i], g.relativePdeError()[i], g.solutionConsistency()[i]);
    }
    if (g.count() > 1) {
      out.printf(
          "%6s  %20.4e  %20.4e  %22.4e%n",
          "mean",
          Arrays.stream(g.pdeError()).average().orElse(Double.NaN),
          Arrays.stream(g.relativePdeError()).average().orElse(Double.NaN),
          Arrays.stream(g.solutionConsistency()).average().orElse(Double.NaN));
    }
    out.println(
        "u vs solver: the field's u against the project's solver's solution for its own a (the"
            + " boundary value problem solved independently)");
    out.printf(
        "%.1f ms on the sampler, %.1f ms round trip%n", g.serverMillis(), g.roundTripMillis());
    out.printf(
        "wrote %s (float32 %s), %s%n",
        files.get(0),
        shapeText(g.shape()),
        String.join(", ", files.subList(1, files.size()).stream().map(Path::toString).toList()));
  }

  static String shapeText(int[] shape) {
    return String.join(
        "×", Arrays.stream(shape).mapToObj(Integer::toString).toArray(String[]::new));
  }
}
