package io.piddm.it.sampler;

import static org.assertj.core.api.Assertions.assertThat;

import io.piddm.api.Tensors;
import io.piddm.export.TrainedModelExport;
import io.piddm.inference.OnnxSessions;
import io.piddm.inference.Reconstruction;
import io.piddm.inference.ReconstructionDefaults;
import io.piddm.inference.StudentModel;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.task.DownstreamTask;
import io.piddm.pipeline.CodeVersion;
import io.piddm.proto.v1.ReconstructOptimizer;
import io.piddm.proto.v1.ReconstructRequest;
import io.piddm.proto.v1.ReconstructResponse;
import io.piddm.proto.v1.ReconstructResult;
import io.piddm.proto.v1.SamplerServiceGrpc;
import io.piddm.proto.v1.TaskKind;
import io.piddm.results.BenchTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jetbrains.bio.npy.NpyFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A streamed Darcy inverse reconstruction (u observed, a estimated; one member) through a real
 * sampler process over loopback, from the call to its last message, with the trained {@code
 * standard} seed-1 student exported by the real exporter (so with the model's validated
 * reconstruction defaults) and the benchmark's held-out fields as observations: the model's
 * defaults (request leaves steps, rate, weights and optimiser unset) side by side with the Adam
 * settings before them (200 steps at 0.05). Runs only when asked, after {@code piddm bench quality
 * --profile standard --pde darcy} has trained seed 1:
 *
 * <pre>./mvnw -B verify -pl integration-tests -Dit.test=ReconstructBenchIT -Dpiddm.bench=true
 *     -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false</pre>
 *
 * ({@code -Dpiddm.bench.run=DIR} for another run's seed folder). Writes
 * docs/results/bench-reconstruct.json.
 */
@EnabledIfSystemProperty(named = "piddm.bench", matches = "true")
class ReconstructBenchIT {

  static final int FIELDS = 16;
  static final int WARM_UP = 3;
  static final int SIZE = 32;

  @TempDir Path root;

  @Test
  void streamedDarcyInverse() throws Exception {
    Path run =
        Path.of(
            System.getProperty(
                "piddm.bench.run",
                System.getProperty("user.home") + "/.piddm/bench/quality-darcy32-standard/seed-1"));
    Path student = run.resolve("student");
    Path heldOut = run.resolve("data/held-out");
    if (!Files.isDirectory(student) || !Files.isDirectory(heldOut)) {
      throw new IllegalStateException(
          run
              + " has no student/ and data/held-out/: run 'piddm bench quality --profile standard"
              + " --pde darcy --seeds 1' first, or point -Dpiddm.bench.run at a seed folder");
    }
    Path model = root.resolve("model");
    TrainedModelExport.export(student, "piddm-darcy32", CodeVersion.current(), model);
    float[] reference =
        NpyFile.read(heldOut.resolve("fields.npy"), Integer.MAX_VALUE).asFloatArray();
    int d = 2 * SIZE * SIZE;
    DownstreamTask inverse =
        DownstreamTask.of(Pde.DARCY, new DownstreamTask.SparsePoints(0.03, 3)).stream()
            .filter(t -> t.name().equals("inverse"))
            .findFirst()
            .orElseThrow();
    DownstreamTask.Target a = inverse.targets().get(0);
    ReconstructRequest adamBefore =
        ReconstructRequest.newBuilder()
            .setSteps(200)
            .setLearningRate(0.05)
            .setLambdaObs(1)
            .setLambdaPde(1e-3)
            .setOptimizer(ReconstructOptimizer.RECONSTRUCT_OPTIMIZER_ADAM)
            .build();
    ReconstructRequest modelDefaults = ReconstructRequest.getDefaultInstance();

    Measured byDefaults;
    Measured byAdam;
    try (SamplerNode sampler =
        SamplerNode.start(
            root.resolve("sampler.log"), Map.of("PIDDM_SAMPLER_MODEL_DIR", model.toString()))) {
      SamplerServiceGrpc.SamplerServiceBlockingStub stub =
          SamplerServiceGrpc.newBlockingStub(sampler.channel());
      byDefaults = streamed(stub, modelDefaults, inverse, a, reference, d);
      byAdam = streamed(stub, adamBefore, inverse, a, reference, d);
    }
    double[] local = new double[FIELDS];
    ReconstructionDefaults.TaskSettings chosen;
    try (StudentModel onnx = StudentModel.open(model, OnnxSessions.Provider.CPU, 1)) {
      chosen = onnx.reconstructDefaults().of(ReconstructionDefaults.Task.INVERSE).orElseThrow();
      Reconstruction.Settings settings =
          new Reconstruction.Settings(
              chosen.steps(),
              chosen.learningRate(),
              chosen.lambdaObs(),
              chosen.lambdaPde(),
              chosen.lambdaSolution(),
              0,
              0,
              chosen.optimizer());
      for (int k = -WARM_UP; k < FIELDS; k++) {
        int field = Math.floorMod(k, FIELDS);
        float[] truth = Arrays.copyOfRange(reference, field * d, (field + 1) * d);
        long t0 = System.nanoTime();
        Reconstruction.run(
            onnx, truth, inverse.mask(2, SIZE, field), seed(field), 1, settings, null, () -> false);
        if (k >= 0) {
          local[k] = (System.nanoTime() - t0) / 1e9;
        }
      }
    }
    assertThat(byDefaults.relativeL2()).isFinite();
    BenchTable table = table(byDefaults, byAdam, median(local), chosen);
    table.write(Path.of(System.getProperty("piddm.home", "..")).resolve("docs"), "reconstruct");
    System.out.println(table.rows());
  }

  record Measured(double[] seconds, double relativeL2, double errorRate, int steps) {}

  /** The benchmark's noise seed of a field (ReconstructionEvaluation: seed 3 + 7919 k). */
  static long seed(int field) {
    return 3 + 7919L * field;
  }

  static Measured streamed(
      SamplerServiceGrpc.SamplerServiceBlockingStub stub,
      ReconstructRequest settings,
      DownstreamTask task,
      DownstreamTask.Target target,
      float[] reference,
      int d) {
    double[] seconds = new double[FIELDS];
    double l2 = 0;
    double rate = 0;
    int steps = 0;
    for (int k = -WARM_UP; k < FIELDS; k++) {
      int field = Math.floorMod(k, FIELDS);
      float[] truth = Arrays.copyOfRange(reference, field * d, (field + 1) * d);
      ReconstructRequest request =
          settings.toBuilder()
              .setTask(TaskKind.TASK_KIND_INVERSE)
              .setObservations(Tensors.float32(truth, 2L, SIZE, SIZE))
              .setDenseMask(Tensors.float32(task.mask(2, SIZE, field), 2L, SIZE, SIZE))
              .setSeed(seed(field))
              .setEnsembleSize(1)
              .build();
      long t0 = System.nanoTime();
      Iterator<ReconstructResponse> stream =
          stub.withDeadlineAfter(60, TimeUnit.SECONDS).reconstruct(request);
      ReconstructResult result = null;
      int messages = 0;
      while (stream.hasNext()) {
        ReconstructResponse r = stream.next();
        messages++;
        if (r.hasResult()) {
          result = r.getResult();
        }
      }
      double elapsed = (System.nanoTime() - t0) / 1e9;
      if (result == null) {
        throw new AssertionError("no result after " + messages + " messages");
      }
      if (k >= 0) {
        float[] estimate = Tensors.floats(result.getMean(), "mean");
        seconds[k] = elapsed;
        l2 += target.relativeL2(estimate, truth, SIZE) / FIELDS;
        rate += target.errorRate(estimate, truth, SIZE) / FIELDS;
        steps = result.getSettings().getSteps();
      }
    }
    return new Measured(seconds, l2, rate, steps);
  }

  static BenchTable table(
      Measured defaults,
      Measured adam,
      double localMedian,
      ReconstructionDefaults.TaskSettings chosen) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(row("evaluations of the graph", defaults.steps(), adam.steps()));
    rows.add(
        row(
            "streamed, call to result, p50 (s)",
            median(defaults.seconds()),
            median(adam.seconds())));
    rows.add(
        row(
            "streamed, call to result, p90 (s)",
            SamplerBenchIT.percentile(defaults.seconds(), 90),
            SamplerBenchIT.percentile(adam.seconds(), 90)));
    rows.add(row("relative L2 of a (mean over fields)", defaults.relativeL2(), adam.relativeL2()));
    rows.add(row("error rate of a (mean over fields)", defaults.errorRate(), adam.errorRate()));
    double p50 = median(defaults.seconds());
    return BenchTable.measured(
        "Streamed Darcy inverse reconstruction through the sampler (standard seed-1 student, 32²,"
            + " one member, CPU, 1 intra-op thread)",
        "./mvnw -B verify -pl integration-tests -Dit.test=ReconstructBenchIT -Dpiddm.bench=true"
            + " -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false",
        List.of(
            "measurement",
            "the model's defaults (" + chosen.optimizer() + ")",
            "Adam, 200 steps at 0.05 (the defaults before)"),
        rows,
        List.of(
            String.format(
                Locale.ROOT,
                "%d held-out fields (solver seed 1000) observed in u, a estimated, after %d"
                    + " warm-up calls; the request leaves the settings unset, so the sampler runs"
                    + " the model's validated defaults for the inverse task: %d evaluations, rate"
                    + " %.3g, λ_obs %.3g, λ_pde %.3g.",
                FIELDS,
                WARM_UP,
                chosen.steps(),
                chosen.learningRate(),
                chosen.lambdaObs(),
                chosen.lambdaPde()),
            String.format(
                Locale.ROOT,
                "In-process (Reconstruction.run on the same model and settings, no gRPC): p50"
                    + " %.3f s.",
                localMedian),
            String.format(
                Locale.ROOT,
                "Target (issue #17): ≤ 1 s p50 with the chosen settings: %s (%.3f s).",
                p50 <= 1 ? "met" : "not met",
                p50)));
  }

  static List<String> row(String what, double defaults, double adam) {
    return List.of(
        what,
        String.format(Locale.ROOT, "%.3g", defaults),
        String.format(Locale.ROOT, "%.3g", adam));
  }

  static double median(double[] v) {
    return SamplerBenchIT.percentile(v, 50);
  }
}
