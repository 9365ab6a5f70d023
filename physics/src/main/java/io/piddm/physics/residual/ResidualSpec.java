package io.piddm.physics.residual;

import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;
import java.util.Map;
import java.util.function.Function;

/**
 * A residual as data: what it is called, which PDE and family it belongs to, its stencil, whether
 * differences are divided by h, how many edge pixels it crops, and the PDE constants. {@link
 * #residual(Grid)} and {@link #source(Grid)} turn it into expressions that any evaluator runs; this
 * record travels in model manifests (as the proto ResidualSpec) so a served model states exactly
 * how its physics is judged. Residuals are evaluated on physical (de-normalised) values.
 *
 * @param crop edge pixels left out on every side (at least the stencil's reach); with periodic
 *     columns only rows are cropped and column shifts wrap around
 * @param boundaryBuilder the boundary rows: an expression evaluated on the nodes of ∂Ω that is zero
 *     where the field meets the PDE's boundary condition (null: the spec judges the interior only,
 *     as the published forms do, or the PDE is periodic)
 */
public record ResidualSpec(
    String id,
    Pde pde,
    ResidualFamily family,
    String stencil,
    boolean hScaled,
    int crop,
    boolean periodicColumns,
    Map<String, Double> parameters,
    Function<Grid, Expr> residualBuilder,
    Expr sourceExpr,
    Function<Grid, Expr> boundaryBuilder) {

  public ResidualSpec {
    parameters = Map.copyOf(parameters);
  }

  /** R(x) as an expression on {@code grid}: zero where the field solves the PDE. */
  public Expr residual(Grid grid) {
    Expr residual = residualBuilder.apply(grid);
    if (residual.reach() > (periodicColumns ? wrapMargin() : crop)) {
      throw new IllegalStateException(
          id
              + ": the stencil reaches "
              + residual.reach()
              + " nodes but only "
              + crop
              + " are cropped");
    }
    return residual;
  }

  /**
   * The spec as data, for a model's card, ONNX metadata and manifest: id, PDE, family, stencil,
   * h-scaling, crop, periodic columns, boundary rows and the PDE constants. {@link
   * ResidualSpecs#recorded} resolves it back and refuses a definition this build does not share.
   */
  public Map<String, Object> definition() {
    Map<String, Object> d = new java.util.LinkedHashMap<>();
    d.put("id", id);
    d.put("pde", pde.id());
    d.put("family", family.name());
    d.put("stencil", stencil);
    d.put("hScaled", hScaled);
    d.put("crop", crop);
    d.put("periodicColumns", periodicColumns);
    d.put("boundaryRows", hasBoundaryRows());
    d.put("parameters", new java.util.TreeMap<>(parameters));
    return d;
  }

  /** {@link #definition} as one line, the same text for the same definition (ONNX metadata). */
  public String definitionText() {
    return definition().toString();
  }

  /** Whether the spec has boundary rows ({@link #boundary}). */
  public boolean hasBoundaryRows() {
    return boundaryBuilder != null;
  }

  /**
   * The boundary rows on {@code grid}: evaluated at each node of ∂Ω (no shifts), zero where the
   * boundary condition holds, scaled like an interior row so the two can be summed.
   */
  public Expr boundary(Grid grid) {
    if (boundaryBuilder == null) {
      throw new IllegalStateException(id + " has no boundary rows");
    }
    Expr rows = boundaryBuilder.apply(grid);
    if (rows.reach() != 0) {
      throw new IllegalStateException(id + ": boundary rows must not read neighbours");
    }
    return rows;
  }

  /** The PDE's right-hand side f, the scale for relative errors (‖R‖ / ‖f‖). */
  public Expr source(Grid grid) {
    return sourceExpr;
  }

  /** The number of rows the residual is evaluated on. */
  public int evaluatedRows(Grid grid) {
    return grid.size() - 2 * crop;
  }

  /** The number of columns the residual is evaluated on. */
  public int evaluatedColumns(Grid grid) {
    return periodicColumns ? grid.size() : grid.size() - 2 * crop;
  }

  /**
   * How many columns a periodic spec may read past either edge (tensor backends pad this many
   * columns, wrapped, on both sides); 0 for the others, which crop instead.
   */
  public int wrapMargin() {
    return periodicColumns ? crop + 2 : 0;
  }

  /**
   * Checks that a batch of joint fields has the shape [N, C, S, S] this spec reads on {@code grid};
   * {@code shown} describes the batch in the message.
   */
  public void requireBatchShape(Grid grid, long[] shape, Object shown) {
    int channels = pde.channels().size();
    if (shape.length != 4
        || shape[1] != channels
        || shape[2] != grid.size()
        || shape[3] != grid.size()) {
      throw new IllegalArgumentException(
          "fields: expected [N, "
              + channels
              + ", "
              + grid.size()
              + ", "
              + grid.size()
              + "], got "
              + shown);
    }
  }
}
