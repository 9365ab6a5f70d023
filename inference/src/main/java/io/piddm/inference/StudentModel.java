package io.piddm.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.metrics.PdeError;
import io.piddm.physics.residual.ResidualSpec;
import io.piddm.physics.residual.ResidualSpecs;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * An exported student opened on ONNX Runtime: {@code model.onnx} (ε → x, physical units) and {@code
 * reconstruct.onnx} (loss, ∂loss/∂ε, x_mix) from one folder, with their metadata read and checked
 * against each other. Thread-safe: ONNX Runtime sessions may be run concurrently.
 *
 * <p>Noise is reproducible and independent of batching: sample {@code i} of {@code generate(seed,
 * n)} is filled with {@code java.util.Random(noiseSeed(seed, i)).nextGaussian()} in C order, where
 * {@link #noiseSeed} mixes the two with the SplitMix64 finaliser. The same seed and model give the
 * same bytes whatever {@code n} is (sample i of a batch is sample 0 of no other seed).
 */
public final class StudentModel implements AutoCloseable {

  public static final String MODEL_FILE = "model.onnx";
  public static final String RECONSTRUCT_FILE = "reconstruct.onnx";

  /**
   * The solution term's weight: an input of reconstruction graphs exported with the term (PDEs with
   * u = 0 on ∂Ω, exports since the term exists), absent from others.
   */
  public static final String LAMBDA_SOLUTION = "lambda_solution";

  /** The reconstruction graph's d(ε) output (exports since it exists). */
  public static final String DECODED = "x";

  /**
   * Metadata key of the residual spec's definition ({@code ResidualSpec.definitionText}), checked
   * at open against this build's definition; absent from older exports.
   */
  public static final String RESIDUAL_SPEC_DEFINITION = "residual_spec_definition";

  /**
   * PIDDM-ref's solution weight where the graph has the term, unless a caller sets one. Chosen on a
   * validation noise seed: docs/results/sweeps/ref-solution-weight-seed1.
   */
  public static final double REF_SOLUTION_WEIGHT = 10;

  /** What the metadata of both graphs says about the student. */
  public record Metadata(
      String name,
      String version,
      String pde,
      List<String> channels,
      int gridSize,
      double[] mean,
      double[] std,
      String residualSpec) {}

  /**
   * One evaluation of the reconstruction graph for a batch of N; {@code decoded} is d(ε), null for
   * graphs exported before they returned it.
   */
  public record Step(float[] loss, float[] gradEps, float[] xMix, float[] decoded) {}

  private final OnnxSessions.Opened model;
  private final OnnxSessions.Opened reconstruct;
  private final Metadata metadata;
  private final ResidualSpec residual;
  private final Grid grid;
  private final int channels;
  private final int size;
  private final boolean solutionTerm;
  private final ReconstructionDefaults reconstructDefaults;

  private StudentModel(
      OnnxSessions.Opened model,
      OnnxSessions.Opened reconstruct,
      Metadata metadata,
      ReconstructionDefaults reconstructDefaults)
      throws OrtException {
    this.reconstructDefaults = reconstructDefaults;
    this.solutionTerm = reconstruct.session().getInputNames().contains(LAMBDA_SOLUTION);
    this.model = model;
    this.reconstruct = reconstruct;
    this.metadata = metadata;
    this.residual = ResidualSpecs.byId(metadata.residualSpec());
    this.grid = new Grid(metadata.gridSize());
    this.channels = metadata.channels().size();
    this.size = metadata.gridSize();
  }

  /**
   * Opens {@code dir/model.onnx} and {@code dir/reconstruct.onnx}, validates their metadata
   * (present, parseable, equal between the two graphs, shapes matching the graph inputs, a known
   * residual spec) and returns the model. Throws {@link IllegalArgumentException} naming what is
   * wrong.
   */
  public static StudentModel open(Path dir, OnnxSessions.Provider provider, int intraOpThreads)
      throws OrtException {
    for (String f : List.of(MODEL_FILE, RECONSTRUCT_FILE)) {
      if (!Files.isRegularFile(dir.resolve(f))) {
        throw new IllegalArgumentException("student folder " + dir + ": missing " + f);
      }
    }
    OnnxSessions.Opened m = OnnxSessions.open(dir.resolve(MODEL_FILE), provider, intraOpThreads);
    OnnxSessions.Opened r = null;
    try {
      r = OnnxSessions.open(dir.resolve(RECONSTRUCT_FILE), provider, intraOpThreads);
      Metadata mm = metadata(m.session(), MODEL_FILE);
      Metadata rm = metadata(r.session(), RECONSTRUCT_FILE);
      if (!sameMetadata(mm, rm)) {
        throw new IllegalArgumentException(
            "student folder " + dir + ": model.onnx and reconstruct.onnx metadata differ");
      }
      ResidualSpec spec = ResidualSpecs.byId(mm.residualSpec());
      String recorded = definition(m.session());
      if (recorded != null && !recorded.equals(spec.definitionText())) {
        throw new IllegalArgumentException(
            "student metadata: residual spec "
                + spec.id()
                + " was exported as "
                + recorded
                + " but this build defines "
                + spec.definitionText());
      }
      if (mm.mean().length != mm.channels().size() || mm.std().length != mm.channels().size()) {
        throw new IllegalArgumentException(
            "student metadata: normalisation has "
                + mm.mean().length
                + " means and "
                + mm.std().length
                + " stds for "
                + mm.channels().size()
                + " channels");
      }
      checkInputs(m.session(), List.of("eps"), mm);
      checkInputs(r.session(), List.of("eps", "x_obs", "mask", "lambda_obs", "lambda_pde"), mm);
      ReconstructionDefaults defaults =
          ReconstructionDefaults.fromJson(
              m.session()
                  .getMetadata()
                  .getCustomMetadata()
                  .get(ReconstructionDefaults.METADATA_KEY));
      StudentModel student = new StudentModel(m, r, mm, defaults);
      for (ReconstructionDefaults.TaskSettings s : defaults.tasks().values()) {
        // a default the graph cannot run would fail every request that leaves the weights unset
        student.requireSolutionWeight(ReconstructionDefaults.METADATA_KEY, s.lambdaSolution());
      }
      if (m.provider() != r.provider()) {
        throw new IllegalArgumentException("the two graphs opened on different providers");
      }
      return student;
    } catch (RuntimeException | OrtException e) {
      m.close();
      if (r != null) {
        r.close();
      }
      throw e;
    }
  }

  private static boolean sameMetadata(Metadata a, Metadata b) {
    return a.name().equals(b.name())
        && a.version().equals(b.version())
        && a.pde().equals(b.pde())
        && a.channels().equals(b.channels())
        && a.gridSize() == b.gridSize()
        && Arrays.equals(a.mean(), b.mean())
        && Arrays.equals(a.std(), b.std())
        && a.residualSpec().equals(b.residualSpec());
  }

  private static void checkInputs(OrtSession session, List<String> names, Metadata meta)
      throws OrtException {
    if (!session.getInputNames().containsAll(names)) {
      throw new IllegalArgumentException(
          "student graph inputs " + session.getInputNames() + " lack some of " + names);
    }
    var info = (ai.onnxruntime.TensorInfo) session.getInputInfo().get("eps").getInfo();
    long[] shape = info.getShape();
    if (shape.length != 4
        || shape[1] != meta.channels().size()
        || shape[2] != meta.gridSize()
        || shape[3] != meta.gridSize()) {
      throw new IllegalArgumentException(
          "student graph input eps has shape "
              + Arrays.toString(shape)
              + ", metadata says [N, "
              + meta.channels().size()
              + ", "
              + meta.gridSize()
              + ", "
              + meta.gridSize()
              + "]");
    }
  }

  private static Metadata metadata(OrtSession session, String file) throws OrtException {
    Map<String, String> m = session.getMetadata().getCustomMetadata();
    try {
      List<String> channels = List.of(required(m, "channels", file).split(","));
      return new Metadata(
          required(m, "name", file),
          required(m, "version", file),
          required(m, "pde", file),
          channels,
          Integer.parseInt(required(m, "grid_size", file).trim()),
          doubles(required(m, "normalization_mean", file)),
          doubles(required(m, "normalization_std", file)),
          required(m, "residual_spec", file));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(file + ": unparseable metadata: " + e.getMessage(), e);
    }
  }

  /**
   * The residual spec's definition as exported (metadata {@code residual_spec_definition}), or null
   * for graphs exported before it was recorded.
   */
  private static String definition(OrtSession session) throws OrtException {
    return session.getMetadata().getCustomMetadata().get(RESIDUAL_SPEC_DEFINITION);
  }

  private static String required(Map<String, String> m, String key, String file) {
    String v = m.get(key);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException(file + ": metadata key '" + key + "' is missing");
    }
    return v;
  }

  private static double[] doubles(String text) {
    String t = text.trim();
    if (t.startsWith("[") && t.endsWith("]")) {
      t = t.substring(1, t.length() - 1);
    }
    return Arrays.stream(t.split(",")).map(String::trim).mapToDouble(Double::parseDouble).toArray();
  }

  public Metadata metadata() {
    return metadata;
  }

  /**
   * The reconstruction settings per task exported with the model (metadata {@value
   * ReconstructionDefaults#METADATA_KEY}); {@link ReconstructionDefaults#none} for older exports.
   */
  public ReconstructionDefaults reconstructDefaults() {
    return reconstructDefaults;
  }

  public ResidualSpec residual() {
    return residual;
  }

  public OnnxSessions.Provider provider() {
    return model.provider();
  }

  public int channels() {
    return channels;
  }

  public int gridSize() {
    return size;
  }

  /** Elements of one field, C·S·S. */
  public int dim() {
    return channels * size * size;
  }

  /** [C, S, S]. */
  public long[] fieldShape() {
    return new long[] {channels, size, size};
  }

  /** The raw model.onnx session (for the Open Inference Protocol). */
  public OrtSession modelSession() {
    return model.session();
  }

  /** The per-sample noise seed: SplitMix64 finaliser of seed + (i + 1)·golden gamma. */
  public static long noiseSeed(long seed, long index) {
    long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Standard normal noise for samples 0..n−1 of {@code seed}, [n, C, S, S]. */
  public float[] noise(long seed, int n) {
    int d = dim();
    float[] eps = new float[Math.multiplyExact(n, d)];
    for (int i = 0; i < n; i++) {
      Random random = new Random(noiseSeed(seed, i));
      for (int k = 0; k < d; k++) {
        eps[i * d + k] = (float) random.nextGaussian();
      }
    }
    return eps;
  }

  /** n fields in physical units, [n, C, S, S], reproducible from {@code seed}. */
  public float[] generate(long seed, int n) throws OrtException {
    return decode(noise(seed, n), n);
  }

  /** d(ε) for a batch of n noises, physical units. */
  public float[] decode(float[] eps, int n) throws OrtException {
    requireBatch(eps, n, "eps");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(eps), batchShape(n));
        OrtSession.Result result = model.session().run(Map.of("eps", t))) {
      return floats(result.get(0));
    }
  }

  /** One evaluation of reconstruct.onnx on a batch of n, without the solution term. */
  public Step reconstructStep(
      float[] eps, float[] xObs, float[] mask, double lambdaObs, double lambdaPde, int n)
      throws OrtException {
    return reconstructStep(eps, xObs, mask, lambdaObs, lambdaPde, 0, n);
  }

  /** Whether reconstruct.onnx has the solution term (an input {@value #LAMBDA_SOLUTION}). */
  public boolean hasSolutionTerm() {
    return solutionTerm;
  }

  /** PIDDM-ref's solution weight when none is asked for: {@link #REF_SOLUTION_WEIGHT} or 0. */
  public double defaultRefSolutionWeight() {
    return solutionTerm ? REF_SOLUTION_WEIGHT : 0;
  }

  /**
   * A solution weight checked against this model: finite, ≥ 0, and 0 unless the graph has the term.
   * Throws {@link IllegalArgumentException} naming the weight as {@code name}.
   */
  public void requireSolutionWeight(String name, double lambdaSolution) {
    if (!Double.isFinite(lambdaSolution) || lambdaSolution < 0) {
      throw new IllegalArgumentException(name + " must be finite and >= 0, got " + lambdaSolution);
    }
    if (lambdaSolution != 0 && !solutionTerm) {
      throw new IllegalArgumentException(
          name
              + ": this model's reconstruction graph has no solution term (PDE "
              + metadata.pde()
              + "; only PDEs with u = 0 on the boundary, exported with the term, have it)");
    }
  }

  /**
   * One evaluation of reconstruct.onnx on a batch of n; a positive {@code lambdaSolution} needs a
   * graph with the solution term ({@link #hasSolutionTerm}).
   */
  public Step reconstructStep(
      float[] eps,
      float[] xObs,
      float[] mask,
      double lambdaObs,
      double lambdaPde,
      double lambdaSolution,
      int n)
      throws OrtException {
    requireSolutionWeight(LAMBDA_SOLUTION, lambdaSolution);
    requireBatch(eps, n, "eps");
    requireBatch(xObs, n, "x_obs");
    requireBatch(mask, n, "mask");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    long[] shape = batchShape(n);
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      inputs.put("eps", OnnxTensor.createTensor(env, FloatBuffer.wrap(eps), shape));
      inputs.put("x_obs", OnnxTensor.createTensor(env, FloatBuffer.wrap(xObs), shape));
      inputs.put("mask", OnnxTensor.createTensor(env, FloatBuffer.wrap(mask), shape));
      inputs.put(
          "lambda_obs",
          OnnxTensor.createTensor(
              env, FloatBuffer.wrap(new float[] {(float) lambdaObs}), new long[] {1}));
      inputs.put(
          "lambda_pde",
          OnnxTensor.createTensor(
              env, FloatBuffer.wrap(new float[] {(float) lambdaPde}), new long[] {1}));
      if (solutionTerm) {
        inputs.put(
            LAMBDA_SOLUTION,
            OnnxTensor.createTensor(
                env, FloatBuffer.wrap(new float[] {(float) lambdaSolution}), new long[] {1}));
      }
      try (OrtSession.Result r = reconstruct.session().run(inputs)) {
        return new Step(
            floats(r.get("loss").orElseThrow()),
            floats(r.get("grad_eps").orElseThrow()),
            floats(r.get("x_mix").orElseThrow()),
            r.get(DECODED).map(StudentModel::floats).orElse(null));
      }
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  /** The PDE error (mean R² over the evaluated nodes, float64) of field {@code index}. */
  public PdeError pdeError(float[] fields, int index) {
    int plane = size * size;
    List<Field> list = new ArrayList<>(channels);
    for (int c = 0; c < channels; c++) {
      double[] v = new double[plane];
      int base = index * dim() + c * plane;
      for (int k = 0; k < plane; k++) {
        v[k] = fields[base + k];
      }
      list.add(new Field(size, size, v));
    }
    return PdeError.of(residual, grid, list);
  }

  /** Runs both graphs once so that the first request does not pay for allocation. */
  public void warmUp() throws OrtException {
    float[] eps = generate(0, 1);
    float[] zeros = new float[dim()];
    reconstructStep(noise(0, 1), zeros, zeros, 0, 1, 1);
    Objects.requireNonNull(eps);
  }

  private long[] batchShape(int n) {
    return new long[] {n, channels, size, size};
  }

  private void requireBatch(float[] a, int n, String name) {
    if (n < 1 || a.length != (long) n * dim()) {
      throw new IllegalArgumentException(
          name + ": " + a.length + " values for a batch of " + n + " × " + dim());
    }
  }

  private static float[] floats(OnnxValue value) {
    FloatBuffer b = ((OnnxTensor) value).getFloatBuffer();
    float[] out = new float[b.remaining()];
    b.get(out);
    return out;
  }

  @Override
  public void close() throws OrtException {
    try {
      model.close();
    } finally {
      reconstruct.close();
    }
  }
}
