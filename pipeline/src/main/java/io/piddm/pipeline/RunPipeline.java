package io.piddm.pipeline;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.reflect.TypeToken;
import io.piddm.diffusion.distill.Distillation;
import io.piddm.diffusion.distill.PairBank;
import io.piddm.diffusion.edm.GuidedSampler;
import io.piddm.diffusion.eval.ModelEvaluation;
import io.piddm.diffusion.io.AtomicFiles;
import io.piddm.diffusion.model.TrainedModel;
import io.piddm.diffusion.train.TeacherTraining;
import io.piddm.diffusion.train.TrainingListener;
import io.piddm.export.TrainedModelExport;
import io.piddm.physics.dataset.DatasetGenerator;
import io.piddm.physics.dataset.DatasetSidecar;
import io.piddm.physics.dataset.DatasetSpec;
import io.piddm.physics.dataset.DatasetWriter;
import io.piddm.physics.dataset.MatImporter;
import io.piddm.physics.task.DownstreamTask;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.jetbrains.bio.npy.NpyFile;

/**
 * One run end to end in its own folder: solver data (training and held-out sets), the EDM teacher,
 * the pair bank and the PIDDM student, the evaluation of both against the held-out set, the ONNX
 * export (checked against DJL) and the upload to the registry.
 *
 * <p>Every phase leaves its result in the folder and is skipped when that result is already there,
 * and the two training phases resume from their checkpoints, so a run interrupted at any point (a
 * killed process, a cancellation) continues where it stopped when run again on the same folder.
 */
public final class RunPipeline {

  /** Evaluation batch: the teacher's Heun ODE is solved for this many samples at once. */
  private static final int EVALUATION_BATCH = 16;

  private static final Gson GSON =
      new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

  private final RunPlan plan;
  private final String runId;
  private final Path dir;
  private final Publisher publisher;
  private final RunListener listener;

  /** What a finished run produced; {@code published} is null when publishing was skipped. */
  public record Outcome(
      Map<String, Double> metrics, Lineage lineage, Path exported, Publisher.Published published) {}

  public RunPipeline(
      RunPlan plan, String runId, Path dir, Publisher publisher, RunListener listener) {
    this.plan = plan;
    this.runId = runId;
    this.dir = dir;
    this.publisher = publisher;
    this.listener = listener;
  }

  /** Where this run's phases keep their results. */
  public RunLayout layout() {
    return new RunLayout(dir);
  }

  public Path trainingData() {
    return layout().trainingData();
  }

  public Path heldOutData() {
    return layout().heldOutData();
  }

  public Path teacherDir() {
    return layout().teacherDir();
  }

  public Path studentDir() {
    return layout().studentDir();
  }

  public Path evaluationDir() {
    return layout().evaluationDir();
  }

  public Path exportDir() {
    return layout().exportDir();
  }

  public Outcome run() throws IOException, InterruptedException {
    Files.createDirectories(dir);
    generateData();
    trainTeacher();
    distil();
    Map<String, Double> metrics = evaluate();
    export(metrics);
    Lineage lineage = lineage();
    Publisher.Published published = publish(metrics, lineage);
    return new Outcome(metrics, lineage, exportDir(), published);
  }

  // ---- data ---------------------------------------------------------------------------------

  private void generateData() throws IOException, InterruptedException {
    RunPlan.Dataset d = plan.dataset();
    if (hasDataset(trainingData()) && hasDataset(heldOutData())) {
      listener.onPhase(Phase.DATA, true, "datasets already in place");
      return;
    }
    if (d.importPath() != null) {
      importData(d);
      return;
    }
    listener.onPhase(
        Phase.DATA,
        false,
        d.count() + " training and " + d.heldOutCount() + " held-out fields from the solver");
    long total = (long) d.count() + d.heldOutCount();
    AtomicLong done = new AtomicLong();
    long started = System.nanoTime();
    DatasetSpec train = new DatasetSpec(plan.pde(), plan.resolution(), d.count(), d.seed());
    DatasetSpec heldOut =
        new DatasetSpec(plan.pde(), plan.resolution(), d.heldOutCount(), d.heldOutSeed());
    for (var set : List.of(Map.entry(train, trainingData()), Map.entry(heldOut, heldOutData()))) {
      if (hasDataset(set.getValue())) {
        done.addAndGet(set.getKey().count());
        continue;
      }
      try {
        new DatasetGenerator(set.getKey(), plan.threads())
            .generate(
                set.getValue(),
                n -> {
                  long now = done.addAndGet(n);
                  double rate = now / Math.max(1e-9, (System.nanoTime() - started) / 1e9);
                  listener.onProgress(
                      new RunListener.Progress(
                          Phase.DATA, now, total, Map.of(), rate, (total - now) / rate, 0));
                });
      } catch (IllegalStateException e) {
        // a cancellation thrown by the listener on a generator thread arrives wrapped
        if (e.getCause() instanceof RunCancelledException cancelled) {
          throw cancelled;
        }
        throw e;
      }
    }
  }

  /** Imports the .mat file, then splits it: the last fields held out, the first ones to train. */
  private void importData(RunPlan.Dataset d) throws IOException {
    listener.onPhase(
        Phase.DATA,
        false,
        "importing "
            + d.importPath().getFileName()
            + "; its last "
            + d.heldOutCount()
            + " fields are held out");
    Path imported = dir.resolve("data").resolve("imported");
    DatasetSidecar all =
        MatImporter.importFile(
            d.importPath(), plan.pde(), Map.of(), MatImporter.Layout.MATLAB, imported);
    if (all.resolution() != plan.resolution()) {
      throw new IllegalArgumentException(
          "dataset.import_path holds "
              + all.resolution()
              + "² fields, the run is planned at "
              + plan.resolution()
              + "²: set resolution to "
              + all.resolution());
    }
    int training = d.count() == 0 ? all.count() - d.heldOutCount() : d.count();
    if (training < 1 || training + d.heldOutCount() > all.count()) {
      throw new IllegalArgumentException(
          "dataset.import_path holds "
              + all.count()
              + " fields: not enough for "
              + (d.count() == 0 ? "at least 1" : training)
              + " training and "
              + d.heldOutCount()
              + " held-out fields");
    }
    float[] data =
        NpyFile.read(imported.resolve(DatasetGenerator.FIELDS), Integer.MAX_VALUE).asFloatArray();
    int length = plan.pde().channels().size() * plan.resolution() * plan.resolution();
    int heldOutFrom = all.count() - d.heldOutCount();
    writeSlice(trainingData(), all, data, 0, training, length);
    writeSlice(heldOutData(), all, data, heldOutFrom, all.count(), length);
    listener.onProgress(
        new RunListener.Progress(Phase.DATA, all.count(), all.count(), Map.of(), Double.NaN, 0, 0));
  }

  private void writeSlice(
      Path folder, DatasetSidecar source, float[] data, int from, int to, int length)
      throws IOException {
    Map<String, Object> generator = new LinkedHashMap<>();
    generator.put("importedFrom", source.source());
    generator.put("importedSha256", source.sha256());
    generator.put("fields", from + ".." + (to - 1));
    DatasetWriter.write(
        folder,
        new DatasetSpec(plan.pde(), plan.resolution(), to - from, 0),
        source.source(),
        generator,
        java.util.Arrays.copyOfRange(data, from * length, to * length));
  }

  private static boolean hasDataset(Path folder) {
    return Files.isRegularFile(folder.resolve(DatasetGenerator.SIDECAR))
        && Files.isRegularFile(folder.resolve(DatasetGenerator.FIELDS));
  }

  // ---- teacher and student ------------------------------------------------------------------

  private void trainTeacher() throws IOException {
    if (Files.isRegularFile(teacherDir().resolve(TrainedModel.CARD))) {
      listener.onPhase(Phase.TEACHER, true, "teacher already trained");
      return;
    }
    RunPlan.Teacher t = plan.teacher();
    boolean resuming = Files.isDirectory(teacherDir().resolve("checkpoint"));
    listener.onPhase(
        Phase.TEACHER,
        false,
        (resuming ? "resuming the teacher from its checkpoint, " : "training the teacher, ")
            + t.training().steps()
            + " steps of batch "
            + t.training().batchSize());
    TeacherTraining.run(
        trainingData(),
        Presets.network(t.preset(), plan.resolution(), plan.pde().channels().size()),
        t.training().withCheckpointDirectory(teacherDir().resolve("checkpoint")),
        teacherDir(),
        steps(Phase.TEACHER));
  }

  private void distil() throws IOException {
    if (Files.isRegularFile(studentDir().resolve(TrainedModel.CARD))) {
      listener.onPhase(Phase.PAIR_BANK, true, "student already distilled");
      listener.onPhase(Phase.STUDENT, true, "student already distilled");
      return;
    }
    listener.onPhase(
        Phase.PAIR_BANK,
        false,
        plan.distill().bankSize()
            + " (ε, x0) pairs from the teacher's Heun ODE with "
            + plan.distill().teacherSteps()
            + " steps");
    AtomicBoolean training = new AtomicBoolean();
    long started = System.nanoTime();
    TrainingListener studentSteps = steps(Phase.STUDENT);
    TrainingListener steps =
        (step, total, loss, rate, eta, skipped) -> {
          if (training.compareAndSet(false, true)) {
            listener.onPhase(
                Phase.STUDENT,
                false,
                "student: "
                    + total
                    + " steps, λ_train "
                    + plan.distill().lambdaTrain()
                    + (step > 1 ? ", resumed from its checkpoint" : ""));
          }
          studentSteps.onStep(step, total, loss, rate, eta, skipped);
        };
    PairBank.PairListener pairs =
        (done, total, filling) -> {
          if (filling && !training.get()) {
            double rate = done / Math.max(1e-9, (System.nanoTime() - started) / 1e9);
            listener.onProgress(
                new RunListener.Progress(
                    Phase.PAIR_BANK, done, total, Map.of(), rate, (total - done) / rate, 0));
          }
        };
    Distillation.run(
        teacherDir(),
        plan.distill(),
        plan.student().withCheckpointDirectory(studentDir().resolve("checkpoint")),
        studentDir(),
        steps,
        pairs);
  }

  private TrainingListener steps(Phase phase) {
    return (step, total, loss, rate, eta, skipped) ->
        listener.onProgress(
            new RunListener.Progress(phase, step, total, Map.of("loss", loss), rate, eta, skipped));
  }

  // ---- evaluation ---------------------------------------------------------------------------

  private static final String METRICS = "metrics.json";

  private Map<String, Double> evaluate() throws IOException {
    Path saved = evaluationDir().resolve(METRICS);
    if (Files.isRegularFile(saved)) {
      listener.onPhase(Phase.EVALUATION, true, "already evaluated");
      return readMetrics(saved);
    }
    RunPlan.Evaluation e = plan.evaluation();
    listener.onPhase(
        Phase.EVALUATION,
        false,
        "teacher and student, "
            + e.samples()
            + " samples per seed against "
            + plan.dataset().heldOutCount()
            + " held-out fields, seeds "
            + e.seeds());
    long total = 2L * e.samples() * e.seeds().size();
    AtomicLong done = new AtomicLong();
    long started = System.nanoTime();
    List<ModelEvaluation.Result> teacher = new ArrayList<>();
    List<ModelEvaluation.Result> student = new ArrayList<>();
    for (long seed : e.seeds()) {
      ModelEvaluation.Settings settings =
          new ModelEvaluation.Settings(
              e.samples(),
              seed,
              plan.teacher().samplerSteps(),
              EVALUATION_BATCH,
              0,
              new GuidedSampler.Settings(200, 50, 1e-4),
              new DownstreamTask.SparsePoints(0.03, seed));
      for (var model :
          List.of(Map.entry(teacherDir(), teacher), Map.entry(studentDir(), student))) {
        long before = done.get();
        String name = model.getKey().getFileName().toString();
        model
            .getValue()
            .add(
                ModelEvaluation.evaluate(
                    model.getKey(),
                    heldOutData(),
                    settings,
                    evaluationDir().resolve(name + "-seed-" + seed),
                    n -> {
                      long now = before + n;
                      done.set(now);
                      double rate = now / Math.max(1e-9, (System.nanoTime() - started) / 1e9);
                      listener.onProgress(
                          new RunListener.Progress(
                              Phase.EVALUATION,
                              now,
                              total,
                              Map.of(),
                              rate,
                              (total - now) / rate,
                              0));
                    }));
      }
    }
    Map<String, Double> metrics = RunMetrics.from(plan.pde(), teacher, student, trainingCosts());
    AtomicFiles.write(
        evaluationDir(),
        METRICS,
        out -> out.write(GSON.toJson(metrics).getBytes(StandardCharsets.UTF_8)));
    return metrics;
  }

  /** What training cost, from the model cards: seconds of each phase and pairs generated. */
  private Map<String, Double> trainingCosts() throws IOException {
    Map<String, Double> costs = new LinkedHashMap<>();
    TrainedModel teacher = TrainedModel.read(teacherDir());
    TrainedModel student = TrainedModel.read(studentDir());
    costs.put("teacher_training_seconds", number(teacher.training().get("seconds")));
    costs.put("distillation_seconds", number(student.training().get("trainingSeconds")));
    costs.put("pair_generation_seconds", number(student.training().get("pairGenerationSeconds")));
    costs.put("pairs_generated", number(student.training().get("pairsGenerated")));
    costs.put("teacher_skipped_steps", number(teacher.training().get("skippedSteps")));
    costs.put("student_skipped_steps", number(student.training().get("skippedSteps")));
    return costs;
  }

  private static double number(Object value) {
    return value instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  static Map<String, Double> readMetrics(Path file) throws IOException {
    return GSON.fromJson(
        Files.readString(file, StandardCharsets.UTF_8),
        new TypeToken<LinkedHashMap<String, Double>>() {}.getType());
  }

  // ---- export -------------------------------------------------------------------------------

  private void export(Map<String, Double> metrics) throws IOException {
    if (Files.isRegularFile(exportDir().resolve("model.onnx"))) {
      listener.onPhase(Phase.EXPORT, true, "already exported");
      return;
    }
    listener.onPhase(
        Phase.EXPORT, false, "model.onnx and reconstruct.onnx, checked against the DJL student");
    Path partial = dir.resolve("onnx.partial");
    deleteRecursively(partial);
    long started = System.nanoTime();
    String name = plan.publish().skip() ? "piddm-student" : plan.publish().modelName();
    var files = TrainedModelExport.export(studentDir(), name, CodeVersion.current(), partial);
    double difference = TrainedModelExport.verify(studentDir(), files.model());
    metrics.put("onnx_max_abs_difference", difference);
    metrics.put("export_seconds", (System.nanoTime() - started) / 1e9);
    AtomicFiles.write(
        evaluationDir(),
        METRICS,
        out -> out.write(GSON.toJson(metrics).getBytes(StandardCharsets.UTF_8)));
    Files.move(partial, exportDir(), StandardCopyOption.ATOMIC_MOVE);
  }

  private static void deleteRecursively(Path folder) throws IOException {
    if (!Files.exists(folder)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(folder)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  // ---- publish ------------------------------------------------------------------------------

  private static final String PUBLISHED = "published.json";

  private Publisher.Published publish(Map<String, Double> metrics, Lineage lineage)
      throws IOException, InterruptedException {
    RunPlan.Publish p = plan.publish();
    if (p.skip()) {
      listener.onPhase(Phase.PUBLISH, true, "publishing skipped by the run spec");
      return null;
    }
    Path saved = dir.resolve(PUBLISHED);
    if (Files.isRegularFile(saved)) {
      listener.onPhase(Phase.PUBLISH, true, "already published");
      return GSON.fromJson(
          Files.readString(saved, StandardCharsets.UTF_8), Publisher.Published.class);
    }
    listener.onPhase(
        Phase.PUBLISH,
        false,
        "uploading to the registry as "
            + p.modelName()
            + (p.alias().isEmpty() ? "" : ", then moving " + p.alias()));
    Map<String, String> labels = new LinkedHashMap<>(p.labels());
    labels.put("run_id", runId);
    labels.put("profile", plan.profile());
    Publisher.Published published =
        publisher.publish(
            new Publisher.Request(
                p.modelName(),
                p.alias(),
                List.of(exportDir().resolve("model.onnx"), exportDir().resolve("reconstruct.onnx")),
                TrainedModel.read(studentDir()),
                metrics,
                lineage,
                labels,
                "PIDDM student of run "
                    + runId
                    + " ("
                    + plan.profile()
                    + " profile, λ_train "
                    + plan.distill().lambdaTrain()
                    + ")"));
    AtomicFiles.write(
        dir, PUBLISHED, out -> out.write(GSON.toJson(published).getBytes(StandardCharsets.UTF_8)));
    return published;
  }

  private Lineage lineage() throws IOException {
    DatasetSidecar data = DatasetSidecar.read(trainingData());
    return new Lineage(
        plan.pde().id(),
        plan.resolution(),
        data.count(),
        data.seed(),
        data.sha256(),
        GSON.toJson(data.generator()),
        data.source(),
        runId,
        RunPlans.hyperparameters(plan),
        CodeVersion.current(),
        host());
  }

  private static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
