package io.piddm.diffusion.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.piddm.diffusion.djl.DjlParameters;
import io.piddm.diffusion.edm.Edm;
import io.piddm.physics.random.Seeds;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Random;

/**
 * Trains the EDM teacher with Adam (β = 0.9, 0.999), linear warm-up, global-norm gradient clipping
 * and EMA weights. The batch and noise of step s depend only on (seed, s), so a run resumed from a
 * checkpoint reaches the same weights as an uninterrupted one. A step whose gradient norm is not
 * finite (oneDNN's sporadic NaN, DESIGN.md §5) is skipped, counted and reported, never applied.
 */
public final class TeacherTrainer implements AutoCloseable {

  private static final double BETA1 = 0.9;
  private static final double BETA2 = 0.999;
  private static final double ADAM_EPS = 1e-8;

  private final Edm edm;
  private final TrainSettings settings;
  private final NDManager manager;
  private final DjlParameters parameters;
  private final DjlParameters ema;
  private final Map<String, NDArray> firstMoment = new LinkedHashMap<>();
  private final Map<String, NDArray> secondMoment = new LinkedHashMap<>();
  private long step;
  private long skipped;

  private TeacherTrainer(
      Edm edm,
      TrainSettings settings,
      NDManager manager,
      DjlParameters parameters,
      DjlParameters ema,
      long step,
      long skipped) {
    this.edm = edm;
    this.settings = settings;
    this.manager = manager;
    this.parameters = parameters;
    this.ema = ema;
    this.step = step;
    this.skipped = skipped;
    parameters.requireGradients(true);
    for (Map.Entry<String, NDArray> entry : parameters.arrays().entrySet()) {
      firstMoment.put(entry.getKey(), manager.zeros(entry.getValue().getShape()));
      secondMoment.put(entry.getKey(), manager.zeros(entry.getValue().getShape()));
    }
  }

  /** A fresh run, or the run saved in {@code settings.checkpointDirectory()} when one is there. */
  public static TeacherTrainer startOrResume(Edm edm, TrainSettings settings) throws IOException {
    NDManager manager = NDManager.newBaseManager();
    Path dir = settings.checkpointDirectory();
    if (dir != null && Files.isRegularFile(dir.resolve(STATE))) {
      return resume(edm, settings, manager, dir);
    }
    DjlParameters parameters = DjlParameters.initialise(edm.net(), manager, settings.seed());
    DjlParameters ema = parameters.copy(manager);
    return new TeacherTrainer(edm, settings, manager, parameters, ema, 0, 0);
  }

  public long step() {
    return step;
  }

  public long skippedSteps() {
    return skipped;
  }

  public DjlParameters parameters() {
    return parameters;
  }

  public DjlParameters ema() {
    return ema;
  }

  /**
   * Trains on {@code data} (normalised, [count, C, S, S] flattened) until {@code settings.steps()}
   * steps are done, checkpointing as configured.
   */
  public void train(float[] data, Shape sampleShape, TrainingListener listener) throws IOException {
    long sampleLength = sampleShape.size();
    int count = Math.toIntExact(data.length / sampleLength);
    long started = System.nanoTime();
    long startStep = step;
    while (step < settings.steps()) {
      double loss = trainStep(data, count, sampleShape);
      step++;
      double elapsed = (System.nanoTime() - started) / 1e9;
      double rate = (step - startStep) / Math.max(elapsed, 1e-9);
      listener.onStep(
          step, settings.steps(), loss, rate, (settings.steps() - step) / rate, skipped);
      if (settings.checkpointDirectory() != null
          && (step == settings.steps()
              || (settings.checkpointEvery() > 0 && step % settings.checkpointEvery() == 0))) {
        save(settings.checkpointDirectory());
      }
    }
  }

  private double trainStep(float[] data, int count, Shape sampleShape) {
    int batch = settings.batchSize();
    int length = Math.toIntExact(sampleShape.size());
    Random random = Seeds.stream(settings.seed(), 11, step);
    float[] x0 = new float[batch * length];
    float[] n = new float[batch];
    float[] epsilon = new float[batch * length];
    for (int b = 0; b < batch; b++) {
      System.arraycopy(data, random.nextInt(count) * length, x0, b * length, length);
      n[b] = (float) random.nextGaussian();
    }
    for (int k = 0; k < epsilon.length; k++) {
      epsilon[k] = (float) random.nextGaussian();
    }
    long[] batchShape = prepend(batch, sampleShape);
    try (NDManager stepManager = manager.newSubManager()) {
      NDArray x = stepManager.create(x0, new Shape(batchShape));
      NDArray noise = stepManager.create(epsilon, new Shape(batchShape));
      NDArray levels = stepManager.create(n);
      double lossValue;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray loss = edm.loss(parameters::get, x, levels, noise);
        collector.backward(loss);
        lossValue = loss.getFloat();
      }
      Map<String, NDArray> gradients = new LinkedHashMap<>();
      double squaredNorm = 0;
      for (Map.Entry<String, NDArray> entry : parameters.arrays().entrySet()) {
        NDArray gradient = entry.getValue().getGradient();
        gradient.attach(stepManager);
        gradients.put(entry.getKey(), gradient);
        squaredNorm += gradient.square().sum().getFloat();
      }
      if (!Double.isFinite(squaredNorm)) {
        skipped++;
      } else {
        apply(gradients, Math.sqrt(squaredNorm), stepManager);
      }
      // Assign zeros rather than multiply: 0 × Inf would leave NaN in the gradient for good.
      gradients.values().forEach(g -> g.set(new NDIndex("..."), 0f));
      return lossValue;
    }
  }

  /** Adam and EMA updates in place; temporaries live in {@code scope} and die with the step. */
  private void apply(Map<String, NDArray> gradients, double norm, NDManager scope) {
    long t = step + 1;
    double lr =
        settings.learningRate() * Math.min(1, t / (double) Math.max(1, settings.warmupSteps()));
    double clip = norm > settings.gradClip() ? settings.gradClip() / norm : 1;
    double correction1 = 1 - Math.pow(BETA1, t);
    double correction2 = 1 - Math.pow(BETA2, t);
    for (Map.Entry<String, NDArray> entry : parameters.arrays().entrySet()) {
      String name = entry.getKey();
      entry.getValue().tempAttach(scope);
      firstMoment.get(name).tempAttach(scope);
      secondMoment.get(name).tempAttach(scope);
      ema.get(name).tempAttach(scope);
      NDArray g = gradients.get(name).mul((float) clip);
      NDArray m = firstMoment.get(name).muli((float) BETA1).addi(g.mul((float) (1 - BETA1)));
      NDArray v =
          secondMoment.get(name).muli((float) BETA2).addi(g.square().muli((float) (1 - BETA2)));
      NDArray update =
          m.div((float) correction1).div(v.div((float) correction2).sqrt().add((float) ADAM_EPS));
      entry.getValue().subi(update.muli((float) lr));
      ema.get(name)
          .muli((float) settings.emaDecay())
          .addi(entry.getValue().mul((float) (1 - settings.emaDecay())));
    }
  }

  private static long[] prepend(long first, Shape shape) {
    long[] dims = new long[shape.dimension() + 1];
    dims[0] = first;
    System.arraycopy(shape.getShape(), 0, dims, 1, shape.dimension());
    return dims;
  }

  // ---- checkpoints --------------------------------------------------------------------------

  private static final String STATE = "state.properties";

  /** Writes weights, EMA, Adam moments and the step, each file by rename, the state file last. */
  public void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    write(dir, "weights.ndlist", parameters::save);
    write(dir, "ema.ndlist", ema::save);
    write(dir, "adam-m.ndlist", out -> encode(firstMoment, out));
    write(dir, "adam-v.ndlist", out -> encode(secondMoment, out));
    Properties state = new Properties();
    state.setProperty("step", Long.toString(step));
    state.setProperty("skipped", Long.toString(skipped));
    state.setProperty("seed", Long.toString(settings.seed()));
    write(
        dir,
        STATE,
        out ->
            state.store(
                new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), "teacher checkpoint"));
  }

  private static TeacherTrainer resume(Edm edm, TrainSettings settings, NDManager manager, Path dir)
      throws IOException {
    Properties state = new Properties();
    try (InputStream in = Files.newInputStream(dir.resolve(STATE))) {
      state.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
    }
    if (Long.parseLong(state.getProperty("seed")) != settings.seed()) {
      throw new IOException(
          "checkpoint in "
              + dir
              + " was made with seed "
              + state.getProperty("seed")
              + ", not "
              + settings.seed());
    }
    DjlParameters parameters;
    DjlParameters ema;
    try (InputStream in = Files.newInputStream(dir.resolve("weights.ndlist"))) {
      parameters = DjlParameters.load(edm.net(), manager, in);
    }
    try (InputStream in = Files.newInputStream(dir.resolve("ema.ndlist"))) {
      ema = DjlParameters.load(edm.net(), manager, in);
    }
    TeacherTrainer trainer =
        new TeacherTrainer(
            edm,
            settings,
            manager,
            parameters,
            ema,
            Long.parseLong(state.getProperty("step")),
            Long.parseLong(state.getProperty("skipped")));
    decodeInto(dir.resolve("adam-m.ndlist"), trainer.firstMoment, manager);
    decodeInto(dir.resolve("adam-v.ndlist"), trainer.secondMoment, manager);
    return trainer;
  }

  private interface Writer {
    void write(OutputStream out) throws IOException;
  }

  private static void write(Path dir, String name, Writer writer) throws IOException {
    Path temporary = dir.resolve(name + ".tmp");
    try (OutputStream out = Files.newOutputStream(temporary)) {
      writer.write(out);
    }
    Files.move(
        temporary,
        dir.resolve(name),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  private static void encode(Map<String, NDArray> arrays, OutputStream out) throws IOException {
    ai.djl.ndarray.NDList list = new ai.djl.ndarray.NDList();
    arrays.forEach(
        (name, array) -> {
          array.setName(name);
          list.add(array);
        });
    list.encode(out);
  }

  private static void decodeInto(Path file, Map<String, NDArray> target, NDManager manager)
      throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      for (NDArray array : ai.djl.ndarray.NDList.decode(manager, in)) {
        NDArray existing = target.get(array.getName());
        if (existing == null) {
          throw new IOException(file + " holds an unknown parameter " + array.getName());
        }
        existing.set(array.toFloatArray());
      }
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
