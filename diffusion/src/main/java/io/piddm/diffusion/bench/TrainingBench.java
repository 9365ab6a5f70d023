package io.piddm.diffusion.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.edm.Edm;
import io.piddm.diffusion.edm.HeunSampler;
import io.piddm.diffusion.net.OutputConstraint;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.diffusion.train.TrainSettings;
import io.piddm.diffusion.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Teacher speed on this machine: median seconds per training step (preset net, batch 32), Heun
 * sampling time per field (18 steps, batch 8), and peak RSS. Run with the DJL natives on the class
 * path: {@code java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -cp … TrainingBench 32
 * 40}.
 */
public final class TrainingBench {

  private TrainingBench() {}

  public static void main(String[] args) throws IOException {
    int size = args.length > 0 ? Integer.parseInt(args[0]) : 32;
    int steps = args.length > 1 ? Integer.parseInt(args[1]) : 40;
    int batch = 32;
    UNetSpec spec = size >= 64 ? UNetSpec.preset64(2) : UNetSpec.preset32(2);
    UNet net = new UNet(spec);
    // unconstrained: the bench times steps on random data of no PDE
    Edm edm = new Edm(net, OutputConstraint.none());
    int length = 2 * size * size;
    float[] data = new float[64 * length];
    Random random = new Random(1);
    for (int k = 0; k < data.length; k++) {
      data[k] = (float) (0.5 * random.nextGaussian());
    }
    List<Double> stepSeconds = new ArrayList<>();
    long[] last = {System.nanoTime()};
    TrainSettings settings = new TrainSettings(batch, steps, 1e-4, 10, 1.0, 0.999, 1, 0, null);
    try (Trainer trainer = Trainer.teacher(edm, settings, data, new Shape(2, size, size))) {
      trainer.train(
          (step, total, loss, rate, eta, skipped) -> {
            long now = System.nanoTime();
            stepSeconds.add((now - last[0]) / 1e9);
            last[0] = now;
          });
      double[] timed =
          stepSeconds.subList(Math.min(5, steps - 1), stepSeconds.size()).stream()
              .mapToDouble(Double::doubleValue)
              .sorted()
              .toArray();
      double median = timed[timed.length / 2];
      double sampleSeconds;
      try (NDManager manager = NDManager.newBaseManager()) {
        int fields = 8;
        NDArray noise = manager.randomNormal(new Shape(fields, 2, size, size));
        HeunSampler sampler = new HeunSampler(edm, 18);
        sampler.sample(trainer.ema()::get, noise); // warm-up
        long start = System.nanoTime();
        sampler.sample(trainer.ema()::get, noise);
        sampleSeconds = (System.nanoTime() - start) / 1e9 / fields;
      }
      System.out.printf(
          "{\"resolution\": %d, \"parameters\": %d, \"batch\": %d, \"steps\": %d, \"median_step_s\": %.4f,"
              + " \"steps_per_s\": %.3f, \"heun18_s_per_field\": %.4f, \"skipped\": %d, \"peak_rss_mib\": %d,"
              + " \"allocator\": \"%s\"}%n",
          size,
          net.parameterCount(),
          batch,
          steps,
          median,
          1 / median,
          sampleSeconds,
          trainer.skippedSteps(),
          peakRssMib(),
          allocator());
      System.out.println("all step times (s): " + Arrays.toString(timed));
    }
  }

  private static long peakRssMib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    return -1;
  }

  private static String allocator() {
    String preload = System.getenv("LD_PRELOAD");
    return preload != null && preload.contains("jemalloc") ? "jemalloc" : "glibc";
  }
}
