package io.piddm.export;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.piddm.diffusion.net.OutputConstraint;
import io.piddm.diffusion.net.Student;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.inference.ReconstructionDefaults;
import io.piddm.inference.StudentModel;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.FieldConstraints;
import io.piddm.physics.residual.ResidualSpec;
import io.piddm.physics.residual.ResidualSpecs;
import io.piddm.physics.residual.SourceScales;
import io.piddm.physics.solve.DirichletLaplacian;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Writes a student d(ε) as two ONNX files from the same layer description ({@link UNet} via {@link
 * Student}) that builds the DJL network:
 *
 * <ul>
 *   <li>{@value #MODEL_FILE}: {@code eps} [N, C, S, S] → {@code x} [N, C, S, S], physical units
 *       (de-normalisation included);
 *   <li>{@value #RECONSTRUCT_FILE}: ({@code eps}, {@code x_obs}, {@code mask}, {@code lambda_obs},
 *       {@code lambda_pde}[, {@code lambda_solution}]) → ({@code loss} [N], {@code grad_eps} [N, C,
 *       S, S], {@code x_mix} [N, C, S, S], {@code x} = d(ε) [N, C, S, S]) with, per sample n,
 *       <pre>
 *   loss_n = λ_obs · Σ_{c,i,j} ((d(ε) − x′)⊙M)²  +  λ_pde · mean_{evaluated nodes} R(x_mix)²
 *            [+ λ_sol · mean_{interior nodes} (t · (−Δ_h)⁻¹R(x_mix))²],
 *   x_mix  = x′⊙M + d(ε)⊙(1 − M),     grad_eps = ∂(Σ_n loss_n)/∂ε  (= ∂loss_n/∂ε_n per sample),
 * </pre>
 *       R the residual spec on physical values. The observation term is a sum over observed
 *       entries, the PDE term the mean of R² over the nodes the spec evaluates (the PDE-error
 *       metric of the project, independent of the grid size). With λ_obs = 0 and M = 0 it is the
 *       PIDDM-ref objective λ‖R(d(ε))‖². The solution term (and its input) exists where the PDE has
 *       u = 0 on ∂Ω and the spec covers the interior nodes: R through the inverse Dirichlet
 *       Laplacian, t = 1/rms((−Δ_h)⁻¹f), the same term the student's training loss adds — for
 *       Poisson exactly the relative squared distance of u to the solver's solution for a, the
 *       smooth error a pointwise residual barely sees.
 * </ul>
 *
 * The batch dimension N is dynamic (dimension parameter {@code N}); every other shape is static.
 * Opset 17, IR version 8. The backward pass is written out as ONNX nodes by {@link OnnxOps}.
 */
public final class OnnxExporter {

  public static final String MODEL_FILE = "model.onnx";
  public static final String RECONSTRUCT_FILE = "reconstruct.onnx";

  /** The noise input of both graphs. */
  public static final String EPS = "eps";

  public static final String LOSS_DEFINITION =
      "loss[n] = lambda_obs * sum_{c,i,j} ((d(eps) - x_obs) * mask)^2"
          + " + lambda_pde * mean_{evaluated nodes} R(x_mix)^2;"
          + " x_mix = x_obs * mask + d(eps) * (1 - mask);"
          + " grad_eps = d(sum_n loss[n]) / d eps (per sample, samples are independent);"
          + " R = residual spec on physical values, float32";

  public static final String SOLUTION_TERM_DEFINITION =
      " + lambda_solution * mean_{interior nodes} (t * (-Laplacian_h)^-1 R(x_mix))^2,"
          + " the inverse with u = 0 on the boundary, t = solution_scale";

  /**
   * Everything an export needs.
   *
   * @param weights every parameter of {@code new UNet(spec)} by name, row-major
   * @param mean per-channel normalisation mean (physical = normalised · std + mean)
   * @param std per-channel normalisation std
   */
  public record ExportSpec(
      String name,
      String version,
      UNetSpec spec,
      Map<String, float[]> weights,
      double[] mean,
      double[] std,
      ResidualSpec residual,
      Grid grid,
      ReconstructionDefaults reconstructDefaults) {

    /** An export without reconstruction defaults (tests, {@link #exportStudent}). */
    public ExportSpec(
        String name,
        String version,
        UNetSpec spec,
        Map<String, float[]> weights,
        double[] mean,
        double[] std,
        ResidualSpec residual,
        Grid grid) {
      this(name, version, spec, weights, mean, std, residual, grid, ReconstructionDefaults.none());
    }

    /** The PDE's output constraint in this export's normalisation. */
    public OutputConstraint constraint() {
      return OutputConstraint.of(FieldConstraints.of(residual.pde()), mean, std, grid.size());
    }

    public ExportSpec {
      UNet net = new UNet(spec);
      Map<String, float[]> given = weights;
      if (!weights.keySet().equals(net.shapes().keySet())) {
        throw new IllegalArgumentException(
            "weights: names do not match the network ("
                + weights.size()
                + " given, "
                + net.shapes().size()
                + " expected)");
      }
      net.shapes()
          .forEach(
              (n, shape) -> {
                if (given.get(n).length != OnnxGraph.count(shape)) {
                  throw new IllegalArgumentException(
                      "weights: " + n + " should have shape " + Sym.describe(shape));
                }
              });
      if (mean.length != spec.channels() || std.length != spec.channels()) {
        throw new IllegalArgumentException("normalisation: one mean and std per channel");
      }
      if (residual.pde().channels().size() != spec.channels()) {
        throw new IllegalArgumentException(
            "residual " + residual.id() + " expects " + residual.pde().channels() + " channels");
      }
      spec.requireResolution(grid.size());
      weights = Map.copyOf(weights);
      mean = mean.clone();
      std = std.clone();
    }

    long[] fieldShape() {
      return new long[] {Sym.BATCH, spec.channels(), grid.size(), grid.size()};
    }
  }

  public record Exported(Path model, Path reconstruct) {}

  private OnnxExporter() {}

  /** Writes {@value #MODEL_FILE} and {@value #RECONSTRUCT_FILE} into {@code dir}. */
  public static Exported exportStudent(
      UNetSpec spec,
      Map<String, float[]> weights,
      double[] mean,
      double[] std,
      ResidualSpec residual,
      Grid grid,
      Path dir)
      throws IOException {
    return export(
        new ExportSpec(
            "piddm-student",
            "0.0.0-dev",
            spec,
            weights,
            mean,
            std,
            residual,
            grid,
            ReconstructionDefaults.validated(residual.pde())),
        dir);
  }

  /** The metadata of an ONNX file (key → value), as the exporter wrote it. */
  public static Map<String, String> metadataOf(Path onnxFile) throws IOException {
    ModelProto model;
    try (var in = Files.newInputStream(onnxFile)) {
      model = ModelProto.parseFrom(in);
    }
    Map<String, String> meta = new LinkedHashMap<>();
    model.getMetadataPropsList().forEach(e -> meta.put(e.getKey(), e.getValue()));
    return meta;
  }

  /**
   * The reconstruction defaults exported into {@code modelOnnx}'s metadata, {@link
   * ReconstructionDefaults#none} where it has none.
   */
  public static ReconstructionDefaults reconstructDefaultsOf(Path modelOnnx) throws IOException {
    return ReconstructionDefaults.fromJson(
        metadataOf(modelOnnx).get(ReconstructionDefaults.METADATA_KEY));
  }

  public static Exported export(ExportSpec export, Path dir) throws IOException {
    Files.createDirectories(dir);
    Path model = write(modelGraph(export), dir.resolve(MODEL_FILE));
    Path reconstruct = write(reconstructGraph(export), dir.resolve(RECONSTRUCT_FILE));
    return new Exported(model, reconstruct);
  }

  /** ε → x (physical units). */
  public static ModelProto modelGraph(ExportSpec export) {
    OnnxGraph graph = new OnnxGraph("piddm_student");
    OnnxOps ops = new OnnxOps(graph);
    Sym eps = graph.input(EPS, export.fieldShape());
    Sym x = studentPhysical(ops, export, eps);
    graph.output("x", x);
    Map<String, String> meta = metadata(export, "model");
    String field = fieldDescription(export);
    meta.put("inputs", "eps: float32" + field + ", standard normal noise");
    meta.put("outputs", "x: float32" + field + ", the student's field d(eps) in physical units");
    return graph.model("PIDDM one-step student d(eps), physical units", meta);
  }

  /** (ε, x′, M, λ_obs, λ_pde[, λ_sol]) → (loss, ∂loss/∂ε, x_mix, d(ε)). */
  public static ModelProto reconstructGraph(ExportSpec export) {
    OnnxGraph graph = new OnnxGraph("piddm_reconstruct");
    OnnxOps ops = new OnnxOps(graph);
    long[] field = export.fieldShape();
    Sym eps = ops.track(graph.input(EPS, field));
    Sym observed = graph.input("x_obs", field);
    Sym mask = graph.input("mask", field);
    Sym lambdaObs = graph.input("lambda_obs", 1);
    Sym lambdaPde = graph.input("lambda_pde", 1);

    Sym d = studentPhysical(ops, export, eps);
    Sym misfit = ops.mul(ops.sub(d, observed), mask);
    Sym obsTerm = ops.reduceSum(ops.mul(misfit, misfit), false, 1, 2, 3);
    Sym xMix = ops.add(ops.mul(observed, mask), ops.mul(d, ops.sub(graph.scalar(1), mask)));
    Sym r = OnnxResidual.residual(ops, export.residual(), export.grid(), xMix);
    Sym pdeTerm = ops.reduceMean(ops.mul(r, r), false, 1, 2, 3);
    Sym loss = ops.add(ops.mul(lambdaObs, obsTerm), ops.mul(lambdaPde, pdeTerm));
    DirichletLaplacian laplacian = solutionOperator(export);
    double solutionScale = 0;
    if (laplacian != null) {
      Sym lambdaSolution = graph.input(StudentModel.LAMBDA_SOLUTION, 1);
      solutionScale =
          1 / SourceScales.solutionRms(export.residual().pde(), export.grid(), export.residual());
      Sym solution =
          ops.mul(OnnxInverseLaplacian.apply(ops, laplacian, r), graph.scalar(solutionScale));
      Sym solutionTerm = ops.reduceMean(ops.mul(solution, solution), false, 1, 2, 3);
      loss = ops.add(loss, ops.mul(lambdaSolution, solutionTerm));
    }
    Sym gradEps = ops.gradient(loss, ops.onesLike(loss), eps);

    graph.output("loss", loss);
    graph.output("grad_eps", gradEps);
    graph.output("x_mix", xMix);
    // d(ε) itself, so a caller measuring the fit on the observed entries needs no second run
    graph.output(StudentModel.DECODED, d);

    Map<String, String> meta = metadata(export, "reconstruct");
    String fs = fieldDescription(export);
    meta.put(
        "inputs",
        "eps: float32"
            + fs
            + "; x_obs: float32"
            + fs
            + " observations in physical units; mask: float32"
            + fs
            + " 1 observed, 0 free; lambda_obs: float32[1]; lambda_pde: float32[1]"
            + (laplacian != null ? "; lambda_solution: float32[1]" : ""));
    meta.put(
        "outputs",
        "loss: float32[N] per sample; grad_eps: float32"
            + fs
            + " = d(sum loss)/d eps; x_mix: float32"
            + fs
            + " physical units; x: float32"
            + fs
            + " d(eps) in physical units");
    meta.put("loss", LOSS_DEFINITION + (laplacian != null ? SOLUTION_TERM_DEFINITION : ""));
    if (laplacian != null) {
      meta.put("solution_scale", Double.toString(solutionScale));
    }
    int rows = export.residual().evaluatedRows(export.grid());
    int cols = export.residual().evaluatedColumns(export.grid());
    meta.put(
        "residual_scale",
        String.format(
            Locale.ROOT,
            "none on R (spec %s, h-scaled=%s); PDE term = mean over %dx%d evaluated nodes",
            export.residual().id(),
            export.residual().hScaled(),
            rows,
            cols));
    meta.put("observation_reduction", "sum over observed entries (mask-weighted), per sample");
    return graph.model("PIDDM reconstruction: loss, d loss/d eps and x_mix", meta);
  }

  /**
   * The inverse Laplacian of the solution term, where the PDE has u = 0 on ∂Ω and the spec
   * evaluates exactly the interior nodes; null otherwise (no term, no input).
   */
  static DirichletLaplacian solutionOperator(ExportSpec export) {
    ResidualSpec spec = export.residual();
    Grid grid = export.grid();
    DirichletLaplacian laplacian = DirichletLaplacian.interiorOf(grid);
    boolean fits =
        ResidualSpecs.hasConsistent(spec.pde())
            && spec.evaluatedRows(grid) == laplacian.interiorSize()
            && spec.evaluatedColumns(grid) == laplacian.interiorSize();
    return fits ? laplacian : null;
  }

  /** Student.physical on symbolic tensors with the weights as shared initializers. */
  static Sym studentPhysical(OnnxOps ops, ExportSpec export, Sym eps) {
    UNet net = new UNet(export.spec());
    Map<String, Sym> params = new HashMap<>();
    Function<String, Sym> lookup =
        n ->
            params.computeIfAbsent(
                n,
                key -> {
                  float[] data = export.weights().get(key);
                  if (data == null) {
                    throw new IllegalArgumentException("no weight named " + key);
                  }
                  return ops.graph().initializer("w." + key, data, net.shapes().get(key));
                });
    return new Student(net, export.constraint())
        .physical(ops, lookup, eps, export.std(), export.mean());
  }

  private static Map<String, String> metadata(ExportSpec export, String graphKind) {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("name", export.name());
    meta.put("version", export.version());
    meta.put("graph", graphKind);
    meta.put("pde", export.residual().pde().name().toLowerCase(Locale.ROOT));
    meta.put("channels", String.join(",", export.residual().pde().channels()));
    meta.put("grid_size", Integer.toString(export.grid().size()));
    meta.put("normalization_mean", Arrays.toString(export.mean()));
    meta.put("normalization_std", Arrays.toString(export.std()));
    meta.put("normalization", "physical = normalised * std + mean, per channel (in the graph)");
    meta.put("residual_spec", export.residual().id());
    meta.put(StudentModel.RESIDUAL_SPEC_DEFINITION, export.residual().definitionText());
    if (!export.reconstructDefaults().tasks().isEmpty()) {
      meta.put(ReconstructionDefaults.METADATA_KEY, export.reconstructDefaults().toJson());
    }
    meta.put("sigma_max", Double.toString(Student.SIGMA));
    UNetSpec s = export.spec();
    meta.put(
        "unet",
        String.format(
            Locale.ROOT,
            "channels=%d widths=%s blocksPerLevel=%d normGroups=%d embeddingSize=%d",
            s.channels(),
            s.widths(),
            s.blocksPerLevel(),
            s.normGroups(),
            s.embeddingSize()));
    meta.put("batch", "dynamic: leading dimension N (dim_param \"N\"), any N >= 1");
    meta.put("opset", Integer.toString(OnnxGraph.OPSET));
    return meta;
  }

  private static String fieldDescription(ExportSpec export) {
    return Sym.describe(export.fieldShape());
  }

  private static Path write(ModelProto model, Path target) throws IOException {
    Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      model.writeTo(out);
    }
    return Files.move(
        tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
