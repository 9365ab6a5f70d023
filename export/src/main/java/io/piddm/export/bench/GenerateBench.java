package io.piddm.export.bench;

import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.export.OnnxExporter;
import io.piddm.inference.OnnxSessions;
import io.piddm.inference.StudentModel;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpecs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Latency of what the sampler does per request, through piddm-inference on ONNX Runtime: {@code
 * generate(seed, n)} (noise + model.onnx), per-field PDE error, and one reconstruct.onnx step, for
 * a preset32 Darcy student with random weights. Prints p50 / p90 of {@code runs} after a warm-up.
 *
 * <pre>
 *   GenerateBench [size=32] [runs=50] [threads=1] [provider=cpu]
 * </pre>
 */
public final class GenerateBench {

  private GenerateBench() {}

  public static void main(String[] args) throws Exception {
    int size = args.length > 0 ? Integer.parseInt(args[0]) : 32;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    OnnxSessions.Provider provider = OnnxSessions.Provider.parse(args.length > 3 ? args[3] : "cpu");
    UNetSpec spec = size <= 32 ? UNetSpec.preset32(2) : UNetSpec.preset64(2);
    Random random = new Random(1);
    Map<String, float[]> weights = new LinkedHashMap<>();
    new UNet(spec).shapes().forEach((n, s) -> weights.put(n, UNet.initialValues(n, s, random)));
    Path dir = Files.createTempDirectory("generate-bench");
    OnnxExporter.exportStudent(
        spec,
        weights,
        new double[] {7.5, 0.02},
        new double[] {1, 0.01},
        ResidualSpecs.consistent(Pde.DARCY),
        new Grid(size),
        dir);
    try (StudentModel model = StudentModel.open(dir, provider, threads)) {
      model.warmUp();
      System.out.printf(
          "student preset%d, grid %d, provider %s, %d intra-op thread(s), %d runs%n",
          size <= 32 ? 32 : 64, size, model.provider(), threads, runs);
      for (int n : new int[] {1, 8}) {
        double[] ms = new double[runs];
        double[] pde = new double[runs];
        for (int r = 0; r < runs; r++) {
          long t0 = System.nanoTime();
          float[] x = model.generate(r, n);
          long t1 = System.nanoTime();
          for (int i = 0; i < n; i++) {
            model.pdeError(x, i);
          }
          ms[r] = (t1 - t0) / 1e6;
          pde[r] = (System.nanoTime() - t1) / 1e6;
        }
        System.out.printf(
            "generate n=%d: p50 %.2f ms, p90 %.2f ms; PDE errors p50 %.3f ms%n",
            n, pct(ms, 50), pct(ms, 90), pct(pde, 50));
      }
      int d = model.dim();
      float[] eps = model.noise(3, 1);
      float[] zeros = new float[d];
      double[] ms = new double[runs];
      for (int r = 0; r < runs; r++) {
        long t0 = System.nanoTime();
        model.reconstructStep(eps, zeros, zeros, 0, 1, 1);
        ms[r] = (System.nanoTime() - t0) / 1e6;
      }
      System.out.printf(
          "reconstruct step n=1: p50 %.2f ms, p90 %.2f ms%n", pct(ms, 50), pct(ms, 90));
    }
  }

  private static double pct(double[] v, int p) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[Math.min(s.length - 1, (int) Math.floor(p / 100.0 * s.length))];
  }
}
