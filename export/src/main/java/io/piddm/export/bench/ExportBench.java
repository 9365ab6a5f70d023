package io.piddm.export.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.piddm.diffusion.djl.DjlOps;
import io.piddm.diffusion.net.OutputConstraint;
import io.piddm.diffusion.net.Student;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.export.OnnxExporter;
import io.piddm.inference.OnnxSessions;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.FieldConstraints;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpecs;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Batch-1 latency of the exported graphs on ONNX Runtime (CPU, one intra-op thread) beside the DJL
 * forward of the same student in the same process: median of {@code runs} after a warm-up.
 *
 * <pre>
 *   ExportBench [size=32] [runs=100]     (preset32 for size ≤ 32, preset64 above; Darcy)
 * </pre>
 *
 * Run DJL with {@code -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1}.
 */
public final class ExportBench {

  private ExportBench() {}

  public static void main(String[] args) throws Exception {
    int size = args.length > 0 ? Integer.parseInt(args[0]) : 32;
    int runs = Math.max(50, args.length > 1 ? Integer.parseInt(args[1]) : 100);
    UNetSpec spec = size <= 32 ? UNetSpec.preset32(2) : UNetSpec.preset64(2);
    UNet net = new UNet(spec);
    Map<String, float[]> weights = net.perturbedWeights(1);
    double[] mean = {7.5, 0.02};
    double[] std = {1, 0.01};
    Path dir = Files.createTempDirectory("piddm-export-bench");
    long t0 = System.nanoTime();
    OnnxExporter.Exported files =
        OnnxExporter.exportStudent(
            spec, weights, mean, std, ResidualSpecs.consistent(Pde.DARCY), new Grid(size), dir);
    double exportMs = (System.nanoTime() - t0) / 1e6;

    int n = 2 * size * size;
    long[] shape = {1, 2, size, size};
    java.util.Random random = new java.util.Random(1);
    float[] eps = new float[n];
    float[] observed = new float[n];
    float[] mask = new float[n];
    for (int k = 0; k < n; k++) {
      eps[k] = (float) random.nextGaussian();
      observed[k] = (float) (k < n / 2 ? 7.5 : 0.02);
      mask[k] = random.nextDouble() < 0.03 ? 1 : 0;
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    double onnxForward;
    double onnxReconstruct;
    try (OnnxSessions.Opened model =
            OnnxSessions.open(files.model(), OnnxSessions.Provider.CPU, 1);
        OnnxSessions.Opened rec =
            OnnxSessions.open(files.reconstruct(), OnnxSessions.Provider.CPU, 1);
        OnnxTensor e = OnnxTensor.createTensor(env, FloatBuffer.wrap(eps), shape);
        OnnxTensor o = OnnxTensor.createTensor(env, FloatBuffer.wrap(observed), shape);
        OnnxTensor m = OnnxTensor.createTensor(env, FloatBuffer.wrap(mask), shape);
        OnnxTensor lo =
            OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[] {1}), new long[] {1});
        OnnxTensor lp =
            OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[] {0.05f}), new long[] {1})) {
      onnxForward = median(runs, () -> close(model.session().run(Map.of("eps", e))));
      Map<String, OnnxTensor> feed = new HashMap<>();
      feed.put("eps", e);
      feed.put("x_obs", o);
      feed.put("mask", m);
      feed.put("lambda_obs", lo);
      feed.put("lambda_pde", lp);
      onnxReconstruct = median(runs, () -> close(rec.session().run(feed)));
    }
    double djlForward;
    try (NDManager manager = NDManager.newBaseManager()) {
      Map<String, NDArray> params = new HashMap<>();
      net.shapes().forEach((k, s) -> params.put(k, manager.create(weights.get(k), new Shape(s))));
      Student student =
          new Student(net, OutputConstraint.of(FieldConstraints.of(Pde.DARCY), mean, std, size));
      DjlOps ops = new DjlOps();
      djlForward =
          median(
              runs,
              () -> {
                try (NDManager step = manager.newSubManager()) {
                  student
                      .physical(ops, params::get, step.create(eps, new Shape(shape)), std, mean)
                      .toFloatArray();
                }
              });
    }
    System.out.printf(
        "size %d², widths %s, %d parameters, batch 1, 1 intra-op thread, median of %d runs%n",
        size, spec.widths(), net.parameterCount(), runs);
    System.out.printf(
        "export (both files) %.0f ms; model.onnx %d kB, reconstruct.onnx %d kB%n",
        exportMs, Files.size(files.model()) / 1024, Files.size(files.reconstruct()) / 1024);
    System.out.printf("ONNX Runtime forward      %8.3f ms%n", onnxForward);
    System.out.printf(
        "ONNX Runtime reconstruct  %8.3f ms (loss + grad_eps + x_mix)%n", onnxReconstruct);
    System.out.printf("DJL (PyTorch) forward     %8.3f ms%n", djlForward);
  }

  private interface Body {
    void run() throws Exception;
  }

  private static void close(OrtSession.Result r) {
    r.close();
  }

  private static double median(int runs, Body body) throws Exception {
    for (int k = 0; k < Math.max(10, runs / 5); k++) {
      body.run();
    }
    double[] ms = new double[runs];
    for (int k = 0; k < runs; k++) {
      long t = System.nanoTime();
      body.run();
      ms[k] = (System.nanoTime() - t) / 1e6;
    }
    Arrays.sort(ms);
    return runs % 2 == 1 ? ms[runs / 2] : 0.5 * (ms[runs / 2 - 1] + ms[runs / 2]);
  }
}
