package io.piddm.diffusion.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.djl.DjlParameters;
import io.piddm.diffusion.edm.Edm;
import io.piddm.diffusion.edm.HeunSampler;
import io.piddm.physics.random.Seeds;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Random;
import org.jetbrains.bio.npy.NpyFile;

/**
 * The (ε, x0) pairs the student learns from: ε ~ N(0, I) and x0 the teacher's deterministic Heun
 * ODE solution from σ_max·ε (normalised units). The pairs made at step s depend only on (seed, s),
 * so a resumed run holds the same bank as an uninterrupted one. Generating pairs is part of the
 * method's real cost, so the time spent is counted.
 */
public final class PairBank {

  private final Edm teacher;
  private final DjlParameters teacherWeights;
  private final DistillSettings settings;
  private final Shape sampleShape;
  private final int length;
  private final long seed;
  private float[] epsilon;
  private float[] x0;
  private long pairsGenerated;
  private double generationSeconds;
  private PairListener listener = PairListener.NONE;
  private SolvedTargets solvedTargets;

  /** Progress of pair generation, after every batch of the teacher ODE. */
  public interface PairListener {
    /**
     * @param done pairs of this generation round solved so far
     * @param total pairs in this round (the whole bank when filling, the refreshed part later)
     * @param filling whether this round fills the empty bank
     */
    void onPairs(int done, int total, boolean filling);

    PairListener NONE = (done, total, filling) -> {};
  }

  public PairBank(
      Edm teacher,
      DjlParameters teacherWeights,
      DistillSettings settings,
      Shape sampleShape,
      long seed) {
    this.teacher = teacher;
    this.teacherWeights = teacherWeights;
    this.settings = settings;
    this.sampleShape = sampleShape;
    this.length = Math.toIntExact(sampleShape.size());
    this.seed = seed;
  }

  /** Where pair-generation progress goes (the trainer shows the bank's fill as its own phase). */
  public void setListener(PairListener listener) {
    this.listener = listener == null ? PairListener.NONE : listener;
  }

  /**
   * Solves every target made from now on for its own a ({@link DistillSettings#solvedTargets}); the
   * time is counted as pair generation.
   */
  public void setSolvedTargets(SolvedTargets targets) {
    this.solvedTargets = targets;
  }

  public boolean isFilled() {
    return epsilon != null;
  }

  public int size() {
    return settings.bankSize();
  }

  public int sampleLength() {
    return length;
  }

  public long pairsGenerated() {
    return pairsGenerated;
  }

  public double generationSeconds() {
    return generationSeconds;
  }

  /** Every pair's ε, [size, C, S, S] flattened (the bank itself, not a copy). */
  public float[] epsilon() {
    return epsilon;
  }

  /** Every pair's x0, laid out as {@link #epsilon()}. */
  public float[] x0() {
    return x0;
  }

  /** Fills the whole bank with the pairs of step 0. */
  public void fill() {
    epsilon = new float[size() * length];
    x0 = new float[size() * length];
    int[] all = new int[size()];
    for (int k = 0; k < all.length; k++) {
      all[k] = k;
    }
    generate(all, Seeds.stream(seed, 23, 0), true);
  }

  /**
   * Before student step {@code step}: fills the bank at step 0 and replaces {@code refreshCount}
   * pairs, chosen at random, every {@code refreshEvery} steps after that.
   */
  public void beforeStep(long step) {
    if (!isFilled()) {
      if (step != 0) {
        throw new IllegalStateException("pair bank empty at step " + step + " of a resumed run");
      }
      fill();
      return;
    }
    int count = settings.refreshCount();
    if (count == 0 || step == 0 || step % settings.refreshEvery() != 0) {
      return;
    }
    Random random = Seeds.stream(seed, 23, step);
    int[] order = new int[size()];
    for (int k = 0; k < order.length; k++) {
      order[k] = k;
    }
    for (int k = 0; k < count; k++) {
      int j = k + random.nextInt(order.length - k);
      int t = order[k];
      order[k] = order[j];
      order[j] = t;
    }
    generate(java.util.Arrays.copyOf(order, count), random, false);
  }

  /** Draws new ε for {@code slots} and solves the teacher ODE for them in batches. */
  private void generate(int[] slots, Random random, boolean filling) {
    long start = System.nanoTime();
    for (int slot : slots) {
      for (int k = 0; k < length; k++) {
        epsilon[slot * length + k] = (float) random.nextGaussian();
      }
    }
    HeunSampler sampler = new HeunSampler(teacher, settings.teacherSteps());
    int batch = settings.generationBatch();
    for (int from = 0; from < slots.length; from += batch) {
      int n = Math.min(batch, slots.length - from);
      float[] noise = new float[n * length];
      for (int b = 0; b < n; b++) {
        System.arraycopy(epsilon, slots[from + b] * length, noise, b * length, length);
      }
      try (NDManager scope = NDManager.newBaseManager()) {
        NDArray solved =
            sampler.sample(
                teacherWeights::get, scope.create(noise, new Shape(n).addAll(sampleShape)));
        float[] values = solved.toFloatArray();
        for (int b = 0; b < n; b++) {
          System.arraycopy(values, b * length, x0, slots[from + b] * length, length);
          if (solvedTargets != null) {
            solvedTargets.apply(x0, slots[from + b] * length);
          }
        }
      }
      listener.onPairs(from + n, slots.length, filling);
    }
    pairsGenerated += slots.length;
    generationSeconds += (System.nanoTime() - start) / 1e9;
  }

  private static final String STATE = "pair-bank.properties";

  public void save(Path dir) throws IOException {
    int[] shape = {size(), length};
    NpyFile.write(dir.resolve("pair-bank-epsilon.npy"), epsilon, shape);
    NpyFile.write(dir.resolve("pair-bank-x0.npy"), x0, shape);
    Properties state = new Properties();
    state.setProperty("pairsGenerated", Long.toString(pairsGenerated));
    state.setProperty("generationSeconds", Double.toString(generationSeconds));
    try (OutputStream out = Files.newOutputStream(dir.resolve(STATE))) {
      state.store(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), "pair bank");
    }
  }

  public void restore(Path dir) throws IOException {
    float[] e =
        NpyFile.read(dir.resolve("pair-bank-epsilon.npy"), Integer.MAX_VALUE).asFloatArray();
    float[] x = NpyFile.read(dir.resolve("pair-bank-x0.npy"), Integer.MAX_VALUE).asFloatArray();
    if (e.length != size() * length || x.length != e.length) {
      throw new IOException(
          dir + ": pair bank holds " + e.length + " values, expected " + size() * length);
    }
    Properties state = new Properties();
    try (InputStream in = Files.newInputStream(dir.resolve(STATE))) {
      state.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
    }
    epsilon = e;
    x0 = x;
    pairsGenerated = Long.parseLong(state.getProperty("pairsGenerated"));
    generationSeconds = Double.parseDouble(state.getProperty("generationSeconds"));
  }
}
