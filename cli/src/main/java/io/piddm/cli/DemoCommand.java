package io.piddm.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.protobuf.util.JsonFormat;
import io.piddm.api.sampler.SamplerClient;
import io.piddm.api.sampler.ServedModel;
import io.piddm.cli.mesh.Mesh;
import io.piddm.cli.mesh.MeshService;
import io.piddm.cli.mesh.MeshState;
import io.piddm.cli.mesh.ServiceProcess;
import io.piddm.probe.ServiceEndpoint;
import io.piddm.proto.v1.Run;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The first thing a new user runs: the mesh on embedded defaults, a quick Darcy run trained,
 * published, evaluated and promoted, then served — fields generated and an inverse problem solved
 * through the sampler — and a short report. Every step is one of the CLI's own commands, so what
 * the demo does a user can repeat piece by piece.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Start the mesh (or use the running one), train the 'quick' Darcy 32² profile on the",
      "trainer (data → teacher → pair bank → student → evaluation → ONNX → registry), promote it",
      "staging → production, let the sampler pick it up, generate fields, solve an inverse",
      "problem (find the coefficient a from the solution u), and report teacher against student.",
      "About 10 minutes on 2 CPU cores. The mesh stays up afterwards: 'piddm down' stops it."
    },
    footer = {
      "",
      "Examples:",
      "  ./mvnw -B package -DskipTests && ./piddm demo",
      "  ./piddm demo --out /tmp/demo --teacher-steps 200 --student-steps 100   a faster, rougher run"
    })
final class DemoCommand implements Callable<Integer> {

  private static final Gson GSON =
      new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--out",
      defaultValue = "piddm-demo",
      description = "Folder for the PNGs, arrays and report (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--model",
      defaultValue = "piddm-darcy32",
      description = "Registry model name (default ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--teacher-steps", description = "Teacher steps (default: the quick profile's).")
  Long teacherSteps;

  @Option(names = "--student-steps", description = "Student steps (default: the quick profile's).")
  Long studentSteps;

  @Option(
      names = "--timeout",
      defaultValue = "PT3M",
      description = "How long to wait for the services to start (default ${DEFAULT-VALUE}).")
  Duration timeout;

  private PrintWriter console;

  @Override
  public Integer call() throws Exception {
    console = spec.commandLine().getOut();
    long started = System.nanoTime();
    Files.createDirectories(out);
    Map<MeshService, ServiceEndpoint> endpoints = mesh();

    step("2/6 training the quick profile on the trainer (progress below)");
    List<String> train =
        new ArrayList<>(
            List.of(
                "train",
                "--model",
                model,
                "--alias",
                "staging",
                "--label",
                "source=demo",
                "--json",
                "--trainer",
                address(endpoints, MeshService.TRAINER)));
    if (teacherSteps != null) {
      train.addAll(List.of("--teacher-steps", teacherSteps.toString()));
    }
    if (studentSteps != null) {
      train.addAll(List.of("--student-steps", studentSteps.toString()));
    }
    StringWriter runJson = new StringWriter();
    int trained = run(train, new PrintWriter(runJson));
    if (runJson.toString().isBlank()) {
      console.println("demo stopped: the run could not start (the error is above)");
      console.flush();
      return 1;
    }
    Run.Builder run = Run.newBuilder();
    JsonFormat.parser().ignoringUnknownFields().merge(runJson.toString(), run);
    TrainerCommands.printSummary(run.build(), console);
    if (trained != 0 || !run.hasPublished()) {
      console.println("demo stopped: the run did not publish a model (see the trainer's log)");
      console.flush();
      return 1;
    }
    long version = run.getPublished().getVersion();

    step("3/6 promoting v" + version + " from staging to production (gates apply)");
    require(
        run(
            List.of(
                "alias",
                "set",
                model,
                "production",
                Long.toString(version),
                "--reason",
                "demo: evaluated on held-out data",
                "--registry",
                address(endpoints, MeshService.REGISTRY)),
            console));

    step("4/6 waiting for the sampler to serve v" + version + ", then generating 16 fields");
    String sampler = address(endpoints, MeshService.SAMPLER);
    double[] latency = awaitAndTime(sampler, version);
    Path samples = out.resolve("samples");
    require(
        run(
            List.of(
                "sample",
                "-n",
                "16",
                "--seed",
                "7",
                "--out",
                samples.toString(),
                "--sampler",
                sampler),
            console));

    step("5/6 inverse problem: recover a from u of a field the solver made with an unseen seed");
    Path reference = out.resolve("reference");
    require(
        run(
            List.of(
                "data",
                "generate",
                "--pde",
                "darcy",
                "--resolution",
                "32",
                "--count",
                "1",
                "--seed",
                "99",
                "--out",
                reference.toString(),
                "--no-preview"),
            console));
    Path inverse = out.resolve("inverse");
    Path fields = reference.resolve("fields.npy");
    require(
        run(
            List.of(
                "reconstruct",
                "--observations",
                fields.toString(),
                "--observe",
                "u",
                "--truth",
                fields.toString(),
                // steps, rate and weights: the settings the model was published with
                "--out",
                inverse.toString(),
                "--sampler",
                sampler),
            console));

    step("6/6 report");
    report(run.build(), latency, samples, inverse, (System.nanoTime() - started) / 1e9);
    return 0;
  }

  /** The running mesh, or a new one whose sampler follows the demo's model. */
  private Map<MeshService, ServiceEndpoint> mesh() throws IOException, InterruptedException {
    MeshState state = new MeshState(Piddm.home());
    List<ServiceProcess> running = state.liveProcesses();
    if (!running.isEmpty()) {
      step("1/6 using the running mesh (started earlier with 'piddm up')");
      return state.endpoints();
    }
    step("1/6 starting registry, sampler and trainer (logs in " + state.logDirectory() + ")");
    var endpoints = Mesh.defaultEndpoints("localhost");
    Mesh mesh =
        Mesh.start(
            Piddm.home(),
            endpoints,
            state.logDirectory(),
            Map.of(MeshService.SAMPLER, Map.of("PIDDM_SAMPLER_MODEL", model)),
            timeout);
    state.save(mesh);
    return endpoints;
  }

  /**
   * Waits until the sampler serves {@code version}, then times 50 one-field Generate calls (round
   * trip over gRPC); returns {p50, p99} in milliseconds.
   */
  private double[] awaitAndTime(String target, long version) throws Exception {
    try (SamplerClient client = new SamplerClient(target)) {
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (true) {
        ServedModel served = null;
        try {
          served = client.served();
        } catch (RuntimeException notYet) {
          // not ready yet: no model loaded
        }
        if (served != null && served.name().equals(model) && served.version() == version) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new IOException(
              "the sampler did not serve "
                  + model
                  + " v"
                  + version
                  + " within 90 s; a mesh started without '--model "
                  + model
                  + "' does not follow it: run 'piddm down' and the demo again");
        }
        Thread.sleep(250);
      }
      double[] millis = new double[50];
      for (int i = -5; i < millis.length; i++) {
        double t = client.generate(SamplerClient.Model.SERVED, 1, 1000 + i).roundTripMillis();
        if (i >= 0) {
          millis[i] = t;
        }
      }
      Arrays.sort(millis);
      return new double[] {
        millis[millis.length / 2], millis[(int) Math.ceil(0.99 * millis.length) - 1]
      };
    }
  }

  private void report(Run run, double[] latency, Path samples, Path inverse, double seconds)
      throws IOException {
    Map<String, Double> m = run.getMetricsMap();
    JsonObject reconstruction =
        GSON.fromJson(
            Files.readString(inverse.resolve("reconstruction.json"), StandardCharsets.UTF_8),
            JsonObject.class);
    JsonObject sample =
        GSON.fromJson(
            Files.readString(samples.resolve("sample.json"), StandardCharsets.UTF_8),
            JsonObject.class);
    Double aError = null;
    Double aErrorRate = null;
    if (reconstruction.has("truth")) {
      for (var c : reconstruction.getAsJsonArray("truth")) {
        JsonObject channel = c.getAsJsonObject();
        if (channel.get("channel").getAsString().equals("a")) {
          aError = channel.get("relative_l2").getAsDouble();
          aErrorRate = channel.has("error_rate") ? channel.get("error_rate").getAsDouble() : null;
        }
      }
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("run_id", run.getRunId());
    report.put("model", model + " v" + run.getPublished().getVersion());
    report.put("metrics", m);
    report.put("generate_latency_ms_p50", latency[0]);
    report.put("generate_latency_ms_p99", latency[1]);
    report.put("inverse_relative_l2_a", aError);
    report.put("inverse_error_rate_a", aErrorRate);
    report.put("demo_seconds", seconds);
    Path reportFile = out.resolve("report.json");
    Files.writeString(reportFile, GSON.toJson(report), StandardCharsets.UTF_8);

    console.println();
    console.println(
        "PIDDM demo: Darcy 32², quick profile (a demonstration-sized run, not a result)");
    console.printf("  %-40s %12s %14s%n", "", "teacher", "PIDDM student");
    console.printf(
        "  %-40s %12.0f %14.0f%n",
        "network evaluations per field", m.get("teacher_nfe"), m.get("nfe"));
    console.printf(
        "  %-40s %12.4f %14.4f%n",
        "seconds per field (CPU, in-process)",
        m.get("teacher_seconds_per_sample"),
        m.get("seconds_per_sample"));
    console.printf(
        "  %-40s %12.4g %14.4g%n",
        "relative PDE error (consistent residual)", m.get("teacher_pde_error"), m.get("pde_error"));
    console.printf(
        "  %-40s %12.4g %14.4g%n",
        "u vs solver for its own a (median L2)",
        m.getOrDefault("teacher_solution_consistency", Double.NaN),
        m.getOrDefault("solution_consistency", Double.NaN));
    for (String c : List.of("a", "u")) {
      console.printf(
          "  %-40s %12.4g %14.4g%n", "MMSE " + c, m.get("teacher_mmse_" + c), m.get("mmse_" + c));
      console.printf(
          "  %-40s %12.4g %14.4g%n", "SMSE " + c, m.get("teacher_smse_" + c), m.get("smse_" + c));
    }
    console.printf(
        "  solver's own relative PDE error: %.4g (the floor of the discretisation)%n",
        m.getOrDefault("ground_truth_pde_error", Double.NaN));
    console.printf(
        "  Generate through the sampler (gRPC, 1 field): p50 %.1f ms, p99 %.1f ms; 16 fields:"
            + " mean relative PDE error %s, median u vs solver %s%n",
        latency[0],
        latency[1],
        sample.has("relative_pde_error") ? meanOf(sample, "relative_pde_error") : "–",
        sample.has("solution_consistency") ? medianOf(sample, "solution_consistency") : "–");
    console.printf(
        "  inverse problem (u observed, 200 Adam steps on ε): relative L2 of a %s, error rate"
            + " %s%n",
        aError == null ? "–" : String.format("%.3f", aError),
        aErrorRate == null ? "–" : String.format("%.3f", aErrorRate));
    console.printf("  demo took %.0f s%n", seconds);
    console.println("PNGs:");
    console.println("  " + samples.resolve("samples.png"));
    console.println("  " + inverse.resolve("reconstruction.png"));
    console.println("report: " + reportFile);
    console.println(
        "The mesh is still up: try 'piddm status', 'piddm models list'; 'piddm down' stops it.");
    console.flush();
  }

  private static String meanOf(JsonObject sample, String key) {
    var values = sample.getAsJsonArray(key);
    double sum = 0;
    for (var v : values) {
      sum += v.getAsDouble();
    }
    return String.format("%.4g", sum / values.size());
  }

  private static String medianOf(JsonObject sample, String key) {
    double[] v = new double[sample.getAsJsonArray(key).size()];
    for (int k = 0; k < v.length; k++) {
      v[k] = sample.getAsJsonArray(key).get(k).getAsDouble();
    }
    return String.format("%.4g", io.piddm.physics.metrics.Moments.median(v));
  }

  private int run(List<String> args, PrintWriter output) {
    CommandLine command = Piddm.commandLine();
    command.setOut(output);
    command.setErr(spec.commandLine().getErr());
    return command.execute(args.toArray(String[]::new));
  }

  private static void require(int exit) throws IOException {
    if (exit != 0) {
      throw new IOException("the step above failed (exit " + exit + ")");
    }
  }

  private static String address(Map<MeshService, ServiceEndpoint> endpoints, MeshService s) {
    ServiceEndpoint e = endpoints.get(s);
    return e.host() + ":" + e.grpcPort();
  }

  private void step(String what) {
    console.println();
    console.println("== " + what);
    console.flush();
  }
}
