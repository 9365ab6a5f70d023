package io.piddm.diffusion.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.piddm.diffusion.djl.DjlParameters;
import io.piddm.diffusion.edm.Edm;
import io.piddm.diffusion.io.AtomicFiles;
import io.piddm.diffusion.net.UNet;
import io.piddm.physics.random.Seeds;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.function.Function;

/**
 * Trains a network's parameters on an {@link Objective} (the EDM teacher loss, the PIDDM student
 * loss) with Adam (β = 0.9, 0.999), linear warm-up, global-norm gradient clipping and EMA weights.
 * The batch and noise of step s depend only on (seed, s), so a run resumed from a checkpoint
 * reaches the same weights as an uninterrupted one (the objective saves any state of its own, such
 * as a pair bank, with the checkpoint). A step whose gradient norm is not finite (a diverging run,
 * or native memory misuse) is skipped, counted and reported, never applied.
 */
public final class Trainer implements AutoCloseable {

  /** What a run minimises. */
  public interface Objective {

    /** A name recorded in checkpoints, so a teacher checkpoint never resumes a student run. */
    String name();

    /**
     * The scalar loss of one step. Arrays are created in {@code scope}, which dies with the step;
     * {@code random} is the step's own stream, a function of (seed, step) only.
     */
    NDArray loss(Function<String, NDArray> parameters, NDManager scope, Random random);

    /** Called before each step's loss, e.g. to refresh a pair bank. */
    default void beforeStep(long step) throws IOException {}

    /** Saves the objective's own state into a checkpoint directory. */
    default void save(Path dir) throws IOException {}

    /** Restores what {@link #save} wrote. */
    default void restore(Path dir) throws IOException {}
  }

  private static final double BETA1 = 0.9;
  private static final double BETA2 = 0.999;
  private static final double ADAM_EPS = 1e-8;

  private final Objective objective;
  private final TrainSettings settings;
  private final NDManager manager;
  private final DjlParameters parameters;
  private final DjlParameters ema;
  private final Map<String, NDArray> firstMoment = new LinkedHashMap<>();
  private final Map<String, NDArray> secondMoment = new LinkedHashMap<>();
  private long step;
  private long skipped;

  private Trainer(
      Objective objective,
      TrainSettings settings,
      NDManager manager,
      DjlParameters parameters,
      DjlParameters ema,
      long step,
      long skipped) {
    this.objective = objective;
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

  /**
   * A fresh run from {@code initial} parameters, or the run saved in {@code
   * settings.checkpointDirectory()} when one is there.
   */
  public static Trainer startOrResume(
      UNet net,
      TrainSettings settings,
      Objective objective,
      Function<NDManager, DjlParameters> initial)
      throws IOException {
    NDManager manager = NDManager.newBaseManager();
    Path dir = settings.checkpointDirectory();
    if (dir != null && Files.isRegularFile(dir.resolve(STATE))) {
      return resume(net, settings, objective, manager, dir);
    }
    DjlParameters parameters = initial.apply(manager);
    DjlParameters ema = parameters.copy(manager);
    return new Trainer(objective, settings, manager, parameters, ema, 0, 0);
  }

  /**
   * The EDM teacher on {@code data} (normalised, [count, C, S, S] flattened), from freshly
   * initialised weights.
   */
  public static Trainer teacher(Edm edm, TrainSettings settings, float[] data, Shape sampleShape)
      throws IOException {
    return startOrResume(
        edm.net(),
        settings,
        new TeacherObjective(edm, data, sampleShape, settings.batchSize()),
        manager -> DjlParameters.initialise(edm.net(), manager, settings.seed()));
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

  /** Trains until {@code settings.steps()} steps are done, checkpointing as configured. */
  public void train(TrainingListener listener) throws IOException {
    long started = System.nanoTime();
    long startStep = step;
    while (step < settings.steps()) {
      objective.beforeStep(step);
      double loss = trainStep();
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

  private double trainStep() {
    Random random = Seeds.stream(settings.seed(), 11, step);
    try (NDManager stepManager = manager.newSubManager()) {
      double lossValue;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray loss = objective.loss(parameters::get, stepManager, random);
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
    double lr = settings.learningRateAt(t);
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

  // ---- checkpoints --------------------------------------------------------------------------

  private static final String STATE = "state.properties";

  /**
   * Writes weights, EMA, Adam moments and the objective's state into a fresh {@code step-<n>}
   * folder, then points {@code state.properties} at it by an atomic rename, then deletes older
   * folders: a process killed at any moment leaves the previous checkpoint whole.
   */
  public void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    String folder = "step-" + step;
    Path target = dir.resolve(folder);
    deleteRecursively(target);
    Files.createDirectories(target);
    AtomicFiles.write(target, "weights.ndlist", parameters::save);
    AtomicFiles.write(target, "ema.ndlist", ema::save);
    AtomicFiles.write(target, "adam-m.ndlist", out -> encode(firstMoment, out));
    AtomicFiles.write(target, "adam-v.ndlist", out -> encode(secondMoment, out));
    objective.save(target);
    Properties state = new Properties();
    state.setProperty("step", Long.toString(step));
    state.setProperty("skipped", Long.toString(skipped));
    state.setProperty("seed", Long.toString(settings.seed()));
    state.setProperty("objective", objective.name());
    state.setProperty("checkpoint", folder);
    AtomicFiles.write(
        dir,
        STATE,
        out ->
            state.store(
                new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8),
                "training checkpoint"));
    try (var entries = Files.list(dir)) {
      for (Path old : entries.toList()) {
        String name = old.getFileName().toString();
        if (name.startsWith("step-") && !name.equals(folder) && Files.isDirectory(old)) {
          deleteRecursively(old);
        }
      }
    }
  }

  private static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (var walk = Files.walk(path)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static Trainer resume(
      UNet net, TrainSettings settings, Objective objective, NDManager manager, Path dir)
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
    if (!objective.name().equals(state.getProperty("objective"))) {
      throw new IOException(
          "checkpoint in "
              + dir
              + " belongs to a "
              + state.getProperty("objective")
              + " run, not "
              + objective.name());
    }
    Path folder = dir.resolve(state.getProperty("checkpoint"));
    DjlParameters parameters;
    DjlParameters ema;
    try (InputStream in = Files.newInputStream(folder.resolve("weights.ndlist"))) {
      parameters = DjlParameters.load(net, manager, in);
    }
    try (InputStream in = Files.newInputStream(folder.resolve("ema.ndlist"))) {
      ema = DjlParameters.load(net, manager, in);
    }
    Trainer trainer =
        new Trainer(
            objective,
            settings,
            manager,
            parameters,
            ema,
            Long.parseLong(state.getProperty("step")),
            Long.parseLong(state.getProperty("skipped")));
    decodeInto(folder.resolve("adam-m.ndlist"), trainer.firstMoment, manager);
    decodeInto(folder.resolve("adam-v.ndlist"), trainer.secondMoment, manager);
    objective.restore(folder);
    return trainer;
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
