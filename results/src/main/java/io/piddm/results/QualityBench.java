package io.piddm.results;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.piddm.diffusion.distill.DistillSettings;
import io.piddm.diffusion.distill.Distillation;
import io.piddm.diffusion.djl.DjlParameters;
import io.piddm.diffusion.edm.GuidedSampler;
import io.piddm.diffusion.eval.ModelEvaluation;
import io.piddm.diffusion.eval.SampleEvaluation;
import io.piddm.diffusion.io.AtomicFiles;
import io.piddm.diffusion.model.TrainedModel;
import io.piddm.inference.OnnxSessions;
import io.piddm.inference.Reconstruction;
import io.piddm.inference.StudentModel;
import io.piddm.inference.eval.ReconstructionEvaluation;
import io.piddm.physics.dataset.DatasetGenerator;
import io.piddm.physics.dataset.DatasetSidecar;
import io.piddm.physics.dataset.DatasetSpec;
import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpec;
import io.piddm.pipeline.CodeVersion;
import io.piddm.pipeline.RunListener;
import io.piddm.pipeline.RunPipeline;
import io.piddm.results.QualityReport.MethodRow;
import io.piddm.results.QualityReport.SeedResult;
import io.piddm.results.QualityReport.TaskRow;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.jetbrains.bio.npy.NpyArray;
import org.jetbrains.bio.npy.NpyFile;

/**
 * The quality benchmark: for every training seed a whole training run (data, teacher, pair bank,
 * PIDDM-1 student, export) through {@link RunPipeline}, then every method of the results table
 * against the shared held-out set — the solver's own fields, the teacher with Heun, the teacher
 * with residual guidance, a student distilled with λ_train = 0 from the same pairs, PIDDM-1,
 * PIDDM-ref with k steps, and a second solver set (the finite-sample floor of MMSE/SMSE) — and the
 * downstream tasks (guided teacher; PIDDM reconstruction through ONNX Runtime as the sampler runs
 * it). Each seed's results are kept in its folder, so a benchmark that was stopped resumes with the
 * seeds it has not finished. The first seed's samples of PIDDM-1, PIDDM-ref and the teacher are
 * also kept as arrays ({@link #SAMPLES}), for anyone to judge with a solver of their own.
 */
public final class QualityBench {

  private static final String SEED_RESULT = "seed-result.json";
  private static final int EVALUATION_BATCH = 8;

  /** Where a seed's sample arrays are: {@code <seed dir>/bench/samples/<method>.npy}. */
  public static final String SAMPLES = "bench/samples";

  /** Fields per saved sample array: enough to look at, small enough to commit (64 KiB at 32²). */
  static final int SAVED_SAMPLES = 16;

  static final String REFERENCE_SET = "reference-set";
  static final Gson GSON =
      new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

  private final QualitySettings settings;
  private final Path workDir;
  private final RunListener runListener;
  private final Consumer<String> log;

  public QualityBench(
      QualitySettings settings, Path workDir, RunListener runListener, Consumer<String> log) {
    this.settings = settings;
    this.workDir = workDir;
    this.runListener = runListener;
    this.log = log;
  }

  public QualityReport run() throws IOException, InterruptedException {
    long started = System.nanoTime();
    Files.createDirectories(workDir);
    double solverSeconds = solverSecondsPerField();
    List<SeedResult> perSeed = new ArrayList<>();
    for (long seed : settings.seeds()) {
      perSeed.add(seedResult(seed));
    }
    return new QualityReport(
        settings.base().pde().id(),
        settings.base().resolution(),
        CodeVersion.current(),
        Machine.current(),
        Instant.now().toString(),
        (System.nanoTime() - started) / 1e9,
        described(),
        settings.seeds(),
        solverSeconds,
        perSeed);
  }

  /** The folder of one training seed's run; its evaluation PNGs are under {@code bench/}. */
  public Path seedDir(long seed) {
    return workDir.resolve("seed-" + seed);
  }

  private SeedResult seedResult(long seed) throws IOException, InterruptedException {
    Path dir = seedDir(seed);
    Path saved = dir.resolve(SEED_RESULT);
    if (Files.isRegularFile(saved)) {
      log.accept("seed " + seed + ": already measured");
      return GSON.fromJson(Files.readString(saved, StandardCharsets.UTF_8), SeedResult.class);
    }
    log.accept("seed " + seed + ": training run (data, teacher, pairs, PIDDM-1, export)");
    RunPipeline pipeline =
        new RunPipeline(settings.planFor(seed), "quality-seed-" + seed, dir, null, runListener);
    pipeline.run();
    Path bench = dir.resolve("bench");
    Path heldOut = pipeline.heldOutData();
    // the first seed's samples are kept as arrays; the others' only as scores
    Path samples = seed == settings.seeds().get(0) ? dir.resolve(SAMPLES) : null;
    List<MethodRow> methods = new ArrayList<>();
    List<TaskRow> tasks = new ArrayList<>();

    log.accept("seed " + seed + ": teacher with Heun and the guided downstream tasks");
    ModelEvaluation.Result teacher =
        ModelEvaluation.evaluate(
            pipeline.teacherDir(),
            heldOut,
            evaluation(settings.guidedTasks()),
            bench.resolve("teacher"),
            n -> {});
    methods.add(MethodRow.of(teacher.samples().get(0), "ground-truth", "solver"));
    // every row is judged with the spec the benchmarked student was distilled with
    ResidualSpec spec = TrainedModel.read(pipeline.studentDir()).residualSpec();
    methods.add(referenceRow(spec, heldOut, bench.resolve(REFERENCE_SET)));
    String heun = teacher.samples().get(1).method();
    methods.add(MethodRow.of(teacher.samples().get(1), heun, "DJL"));
    saveSamples(samples, heun, bench.resolve("teacher"));
    teacher.tasks().forEach(t -> tasks.add(TaskRow.of(t)));

    log.accept("seed " + seed + ": data-space baseline (no model) on the same tasks");
    ModelEvaluation.dataSpaceTasks(
            heldOut,
            spec,
            TrainedModel.read(pipeline.teacherDir()).normalization(),
            settings.guidance(),
            settings.dataSpace(),
            settings.sparsePoints(),
            settings.guidedTasks(),
            bench.resolve("data-space"))
        .forEach(t -> tasks.add(TaskRow.of(t)));

    log.accept("seed " + seed + ": teacher with residual guidance");
    methods.add(
        guidedTeacher(spec, pipeline.teacherDir(), heldOut, bench.resolve("teacher-guided")));

    log.accept("seed " + seed + ": student distilled with λ_train = 0 from the same pairs");
    Path control = dir.resolve("student-lambda0");
    if (!Files.isRegularFile(control.resolve(TrainedModel.CARD))) {
      DistillSettings d = settings.base().distill();
      Distillation.run(
          pipeline.teacherDir(),
          d.withLambdaTrain(0),
          settings.planFor(seed).student().withCheckpointDirectory(control.resolve("checkpoint")),
          control,
          (step, total, loss, rate, eta, skipped) -> {});
    }
    methods.add(student(control, heldOut, bench.resolve("student-lambda0"), "piddm-lambda0"));
    methods.add(student(pipeline.studentDir(), heldOut, bench.resolve("student"), "piddm-1"));
    saveSamples(samples, "piddm-1", bench.resolve("student"));

    log.accept("seed " + seed + ": PIDDM-ref and reconstructions through ONNX Runtime");
    try (StudentModel onnx =
        StudentModel.open(pipeline.exportDir(), OnnxSessions.Provider.CPU, 1)) {
      onnx.warmUp();
      int largest = settings.refinementSteps().stream().max(Integer::compare).orElseThrow();
      for (int k : settings.refinementSteps()) {
        methods.add(
            refined(
                onnx, spec, k, heldOut, bench.resolve("piddm-ref"), k == largest ? samples : null));
      }
      // each task with the settings the model's defaults give it
      tasks.addAll(reconstructed(onnx, heldOut, settings.forwardReconstruction(), "forward"));
      tasks.addAll(reconstructed(onnx, heldOut, settings.reconstruction(), "inverse"));
      tasks.addAll(reconstructed(onnx, heldOut, settings.sparseReconstruction(), "sparse"));
    } catch (ai.onnxruntime.OrtException e) {
      throw new IOException("ONNX Runtime: " + e.getMessage(), e);
    }

    SeedResult result = new SeedResult(seed, methods, tasks, costs(pipeline));
    AtomicFiles.write(
        dir, SEED_RESULT, out -> out.write(GSON.toJson(result).getBytes(StandardCharsets.UTF_8)));
    return result;
  }

  /** PIDDM reconstruction of the tasks named {@code task…} with {@code reconstruction}. */
  private static List<TaskRow> reconstructed(
      StudentModel onnx,
      Path heldOut,
      ReconstructionEvaluation.Settings reconstruction,
      String task)
      throws IOException, ai.onnxruntime.OrtException {
    return ReconstructionEvaluation.evaluate(onnx, heldOut, reconstruction, t -> t.startsWith(task))
        .stream()
        .map(t -> TaskRow.of(t, reconstruction.every()))
        .toList();
  }

  private ModelEvaluation.Settings evaluation(int tasks) {
    return new ModelEvaluation.Settings(
        settings.samples(),
        settings.sampleSeed(),
        settings.base().teacher().samplerSteps(),
        EVALUATION_BATCH,
        tasks,
        settings.guidance(),
        settings.sparsePoints());
  }

  private MethodRow student(Path modelDir, Path heldOut, Path out, String method)
      throws IOException {
    ModelEvaluation.Result r =
        ModelEvaluation.evaluate(modelDir, heldOut, evaluation(0), out, n -> {});
    return MethodRow.of(r.samples().get(1), method, "DJL");
  }

  /**
   * The teacher sampled with the guidance of the downstream tasks but nothing observed: only the
   * residual term steers it (DiffusionPDE-style), from the same noise stream as the Heun samples.
   */
  private MethodRow guidedTeacher(ResidualSpec spec, Path teacherDir, Path heldOut, Path out)
      throws IOException {
    TrainedModel model = TrainedModel.read(teacherDir);
    Pde pde = model.pdeKind();
    int size = model.resolution();
    int channels = pde.channels().size();
    int length = channels * size * size;
    int n = settings.samples();
    Grid grid = new Grid(size);
    GuidedSampler guided =
        new GuidedSampler(model.edm(), model.normalization(), spec, grid, settings.guidance());
    float[] generated = new float[n * length];
    long start = System.nanoTime();
    try (NDManager manager = NDManager.newBaseManager();
        DjlParameters weights = model.loadWeights(teacherDir, manager)) {
      for (int from = 0; from < n; from += EVALUATION_BATCH) {
        int batch = Math.min(EVALUATION_BATCH, n - from);
        try (NDManager scope = manager.newSubManager()) {
          Shape shape = new Shape(batch, channels, size, size);
          NDArray eps =
              scope.create(
                  ModelEvaluation.noise(settings.sampleSeed(), from, batch, length), shape);
          NDArray nothing = scope.zeros(shape);
          NDArray sample = guided.sample(weights::get, eps, nothing, nothing);
          System.arraycopy(
              model.normalization().toPhysical(sample).toFloatArray(),
              0,
              generated,
              from * length,
              batch * length);
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9 / n;
    return MethodRow.of(
        judged(
            "teacher-guided",
            spec,
            grid,
            generated,
            n,
            heldOut,
            guided.networkEvaluations(),
            seconds,
            out),
        "teacher-guided",
        "DJL");
  }

  /**
   * PIDDM-ref: k Adam steps on ε against the residual and, where the graph has it, the solution
   * term, as the sampler's Generate runs them; the first fields are saved under {@code samples}
   * unless it is null.
   */
  private MethodRow refined(
      StudentModel onnx, ResidualSpec spec, int k, Path heldOut, Path out, Path samples)
      throws IOException, ai.onnxruntime.OrtException {
    int n = settings.samples();
    QualitySettings.Refinement r = settings.refinement();
    double lambdaSolution = onnx.hasSolutionTerm() ? r.lambdaSolution() : 0;
    long start = System.nanoTime();
    float[] eps = onnx.noise(settings.sampleSeed(), n);
    float[] zeros = new float[onnx.dim()];
    Reconstruction.optimise(
        onnx,
        eps,
        zeros,
        zeros,
        n,
        new Reconstruction.Settings(
            k, r.learningRate(), 0, r.lambdaInfer(), lambdaSolution, r.typicalityWeight(), 0),
        null,
        () -> false);
    float[] fields = onnx.decode(eps, n);
    double seconds = (System.nanoTime() - start) / 1e9 / n;
    Pde pde = settings.base().pde();
    String method = "piddm-ref-" + k;
    if (samples != null) {
      save(samples.resolve(method + ".npy"), fields, pde.channels().size(), onnx.gridSize());
    }
    return MethodRow.of(
        judged(
            method, spec, new Grid(onnx.gridSize()), fields, n, heldOut, 1 + 2 * k, seconds, out),
        method,
        "ONNX Runtime");
  }

  /**
   * A second set from the solver ({@link QualitySettings#referenceSeed}, as many fields as every
   * method generates) scored like a method: the MMSE/SMSE two independent solver sets of that size
   * differ by, the floor to read the methods' ratios against. Generated once, the same for every
   * training seed, through the generator the held-out set comes from.
   */
  private MethodRow referenceRow(ResidualSpec spec, Path heldOut, Path out)
      throws IOException, InterruptedException {
    Pde pde = settings.base().pde();
    int size = settings.base().resolution();
    int n = settings.samples();
    Path set = workDir.resolve(REFERENCE_SET);
    if (!Files.isRegularFile(set.resolve(DatasetGenerator.SIDECAR))
        || !Files.isRegularFile(set.resolve(DatasetGenerator.FIELDS))) {
      new DatasetGenerator(
              new DatasetSpec(pde, size, n, settings.referenceSeed()), settings.base().threads())
          .generate(set, done -> {});
    }
    float[] fields =
        NpyFile.read(set.resolve(DatasetGenerator.FIELDS), Integer.MAX_VALUE).asFloatArray();
    return MethodRow.of(
        judged(REFERENCE_SET, spec, new Grid(size), fields, n, heldOut, 0, 0, out),
        REFERENCE_SET,
        "solver");
  }

  /**
   * Keeps the first {@link #SAVED_SAMPLES} samples of {@code method} as its evaluation scored them
   * ({@code SampleEvaluation.write} leaves {@code <method>.npy} in {@code evaluated}).
   */
  private static void saveSamples(Path samples, String method, Path evaluated) throws IOException {
    if (samples == null) {
      return;
    }
    NpyArray scored = NpyFile.read(evaluated.resolve(method + ".npy"), Integer.MAX_VALUE);
    int[] shape = scored.getShape();
    save(samples.resolve(method + ".npy"), scored.asFloatArray(), shape[1], shape[2]);
  }

  /** The first {@link #SAVED_SAMPLES} of {@code fields} (N×C×S×S, physical units) as float32. */
  private static void save(Path file, float[] fields, int channels, int size) throws IOException {
    int length = channels * size * size;
    int n = Math.min(SAVED_SAMPLES, fields.length / length);
    Files.createDirectories(file.getParent());
    NpyFile.write(
        file, java.util.Arrays.copyOf(fields, n * length), new int[] {n, channels, size, size});
  }

  private SampleEvaluation.Report judged(
      String method,
      ResidualSpec spec,
      Grid grid,
      float[] generated,
      int n,
      Path heldOut,
      int evaluations,
      double seconds,
      Path out)
      throws IOException {
    Pde pde = spec.pde();
    int channels = pde.channels().size();
    DatasetSidecar sidecar = DatasetSidecar.read(heldOut);
    float[] referenceData =
        NpyFile.read(heldOut.resolve(DatasetGenerator.FIELDS), Integer.MAX_VALUE).asFloatArray();
    List<List<Field>> reference =
        SampleEvaluation.fields(referenceData, sidecar.count(), channels, grid.size());
    List<List<Field>> samples = SampleEvaluation.fields(generated, n, channels, grid.size());
    SampleEvaluation.Report report =
        SampleEvaluation.evaluate(
            method, spec, grid, samples, reference, settings.sampleSeed(), evaluations, seconds);
    SampleEvaluation.write(report, pde, samples, out);
    return report;
  }

  /** One-time costs of the run, from the model cards. */
  private static Map<String, Double> costs(RunPipeline pipeline) throws IOException {
    Map<String, Object> teacher = TrainedModel.read(pipeline.teacherDir()).training();
    Map<String, Object> student = TrainedModel.read(pipeline.studentDir()).training();
    Map<String, Double> costs = new LinkedHashMap<>();
    costs.put("teacher_training_seconds", number(teacher.get("seconds")));
    costs.put("teacher_steps", number(teacher.get("steps")));
    costs.put("pair_generation_seconds", number(student.get("pairGenerationSeconds")));
    costs.put("pairs_generated", number(student.get("pairsGenerated")));
    costs.put("distillation_seconds", number(student.get("trainingSeconds")));
    return costs;
  }

  private static double number(Object value) {
    return value instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  /** The solver's cost per field on one thread: the ground truth's "wall-clock per sample". */
  private double solverSecondsPerField() throws IOException, InterruptedException {
    int n = settings.solverTimingFields();
    Path scratch = Files.createTempDirectory(workDir, "solver-timing");
    try {
      DatasetSpec spec =
          new DatasetSpec(settings.base().pde(), settings.base().resolution(), n, 424242);
      long start = System.nanoTime();
      new DatasetGenerator(spec, 1).generate(scratch.resolve("fields"), done -> {});
      return (System.nanoTime() - start) / 1e9 / n;
    } finally {
      try (var files = Files.walk(scratch)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private Map<String, Object> described() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("profile", settings.base().profile());
    d.put("plan", settings.planFor(settings.seeds().get(0)));
    d.put("held_out_seed", settings.heldOutSeed());
    d.put("held_out_count", settings.heldOutCount());
    d.put("samples", settings.samples());
    d.put("sample_seed", settings.sampleSeed());
    d.put("reference_seed", settings.referenceSeed());
    d.put("guidance", settings.guidance());
    d.put("guided_tasks", settings.guidedTasks());
    d.put("data_space", settings.dataSpace());
    d.put("refinement_steps", settings.refinementSteps());
    d.put("refinement", settings.refinement());
    d.put("forward_reconstruction", settings.forwardReconstruction());
    d.put("reconstruction", settings.reconstruction());
    d.put("sparse_reconstruction", settings.sparseReconstruction());
    return d;
  }
}
