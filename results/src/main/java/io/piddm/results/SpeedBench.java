package io.piddm.results;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.djl.DjlOps;
import io.piddm.diffusion.djl.DjlParameters;
import io.piddm.diffusion.edm.HeunSampler;
import io.piddm.diffusion.eval.ModelEvaluation;
import io.piddm.diffusion.model.TrainedModel;
import io.piddm.diffusion.net.Student;
import io.piddm.inference.OnnxSessions;
import io.piddm.inference.StudentModel;
import io.piddm.physics.bench.GenerationBench;
import io.piddm.physics.bench.ScipyBaseline;
import io.piddm.physics.pde.Pde;
import io.piddm.pipeline.CodeVersion;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Speed of one trained model in process, batch 1, one thread everywhere: the student on ONNX
 * Runtime and on DJL, the teacher's Heun sampling per sample, one reconstruction step through
 * {@code reconstruct.onnx}, and data generation against SciPy. The gRPC and registry numbers come
 * from {@code SamplerBenchIT} and {@code RegistryBenchIT}, which need the service processes.
 */
public final class SpeedBench {

  /** Timed calls per latency ({@code teacherRuns} for the 35-evaluation teacher). */
  public record Settings(
      int runs,
      int teacherRuns,
      List<Integer> generationResolutions,
      int generationSamples,
      int generationRepeats) {

    public static Settings standard() {
      return new Settings(500, 20, List.of(32, 64, 128), 20, 5);
    }
  }

  private interface Body {
    void run() throws Exception;
  }

  private SpeedBench() {}

  /**
   * @param teacherDir a trained teacher (its Heun sampler with {@code heunSteps} steps)
   * @param studentDir the student distilled from it (DJL)
   * @param exportDir the same student as ONNX
   * @param projectHome where the SciPy baseline script lives
   */
  public static SpeedReport run(
      Path teacherDir,
      Path studentDir,
      Path exportDir,
      int heunSteps,
      Settings settings,
      Path projectHome)
      throws Exception {
    TrainedModel teacher = TrainedModel.read(teacherDir);
    TrainedModel student = TrainedModel.read(studentDir);
    int size = student.resolution();
    int channels = student.pdeKind().channels().size();
    int length = channels * size * size;
    Shape shape = new Shape(1, channels, size, size);
    float[] eps = ModelEvaluation.noise(11, 0, 1, length);

    double[] onnxForward;
    double[] onnxStep;
    try (StudentModel onnx = StudentModel.open(exportDir, OnnxSessions.Provider.CPU, 1)) {
      onnx.warmUp();
      onnxForward = time(settings.runs(), () -> onnx.decode(eps, 1));
      float[] observed = new float[length];
      float[] mask = new float[length];
      Arrays.fill(mask, 0, size * size, 1f);
      onnxStep = time(settings.runs(), () -> onnx.reconstructStep(eps, observed, mask, 1, 1e-4, 1));
    }

    double[] djlStudent;
    double[] teacherHeun;
    DjlOps ops = new DjlOps();
    try (NDManager manager = NDManager.newBaseManager();
        DjlParameters studentWeights = student.loadWeights(studentDir, manager);
        DjlParameters teacherWeights = teacher.loadWeights(teacherDir, manager)) {
      Student net = student.student();
      djlStudent =
          time(
              settings.runs(),
              () -> {
                try (NDManager scope = manager.newSubManager()) {
                  NDArray x = net.forward(ops, studentWeights::get, scope.create(eps, shape));
                  student.normalization().toPhysical(x).toFloatArray();
                }
              });
      HeunSampler heun = new HeunSampler(teacher.edm(), heunSteps);
      teacherHeun =
          time(
              settings.teacherRuns(),
              () -> {
                try (NDManager scope = manager.newSubManager()) {
                  NDArray x = heun.sample(teacherWeights::get, scope.create(eps, shape));
                  teacher.normalization().toPhysical(x).toFloatArray();
                }
              });
    }

    List<SpeedReport.Generation> generation = new ArrayList<>();
    Pde pde = student.pdeKind();
    for (int resolution : settings.generationResolutions()) {
      GenerationBench.Result r =
          GenerationBench.run(
              pde, resolution, settings.generationSamples(), settings.generationRepeats());
      OptionalDouble scipy =
          pde == Pde.DARCY
              ? ScipyBaseline.solveMillis(projectHome, resolution, settings.generationRepeats())
              : OptionalDouble.empty();
      generation.add(
          new SpeedReport.Generation(
              pde.id(),
              resolution,
              r.sampleMillis(),
              r.solveMillis(),
              scipy.isPresent() ? scipy.getAsDouble() : null));
    }

    Map<String, Object> described = new LinkedHashMap<>();
    described.put("settings", settings);
    described.put("batch", 1);
    described.put("threads", "1 ONNX Runtime intra-op thread, 1 PyTorch thread");
    described.put("heun_steps", heunSteps);
    described.put("teacher_network_evaluations", 2 * heunSteps - 1);
    return new SpeedReport(
        CodeVersion.current(),
        Machine.current(),
        Instant.now().toString(),
        student.pde() + " " + size + "², student " + studentDir + ", teacher " + teacherDir,
        described,
        latency(onnxForward),
        latency(djlStudent),
        latency(teacherHeun),
        latency(onnxStep),
        generation,
        onnxForward);
  }

  private static double[] time(int runs, Body body) throws Exception {
    for (int k = 0; k < Math.max(5, runs / 5); k++) {
      body.run();
    }
    double[] ms = new double[runs];
    for (int k = 0; k < runs; k++) {
      long t = System.nanoTime();
      body.run();
      ms[k] = (System.nanoTime() - t) / 1e6;
    }
    return ms;
  }

  static SpeedReport.Latency latency(double[] ms) {
    double[] sorted = ms.clone();
    Arrays.sort(sorted);
    return new SpeedReport.Latency(percentile(sorted, 50), percentile(sorted, 99), sorted.length);
  }

  private static double percentile(double[] sorted, double p) {
    int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }
}
