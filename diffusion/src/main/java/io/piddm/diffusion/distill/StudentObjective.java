package io.piddm.diffusion.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.djl.DjlInverseLaplacian;
import io.piddm.diffusion.djl.DjlOps;
import io.piddm.diffusion.djl.DjlResidual;
import io.piddm.diffusion.edm.Normalization;
import io.piddm.diffusion.net.Student;
import io.piddm.diffusion.train.Trainer;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.residual.ResidualSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * The PIDDM student loss on a batch of bank pairs:
 *
 * <pre>
 *   L = mean ‖d(ε) − x0‖² + ν · W₂²(d(ε), x0) + λ_train · [mean (s · R)² + μ · mean (t · (−Δ_h)⁻¹R)²],
 *   R = R(d(ε)),
 *   s = 1 / rms(f),   t = 1 / rms((−Δ_h)⁻¹f),
 * </pre>
 *
 * with the first mean over pixels (normalised units; with a pseudo-Huber scale c > 0, {@link
 * DistillSettings}, each d² is replaced by √(d² + c²) − c), the second over the nodes the training
 * residual spec evaluates, R on the de-normalised output. Dividing by the source's rms (a constant
 * of the PDE and grid) makes the residual term the squared relative PDE error, the dimensionless
 * number the metrics report, so λ_train means the same for every PDE, unit and grid size. λ follows
 * {@link DistillSettings#lambdaAt}: off while the student first learns its pairs, then ramped in.
 * The solution term (weight μ = {@link DistillSettings#solutionWeight}, left out at 0) is the same
 * residual through the inverse Dirichlet Laplacian: for Poisson exactly the error of u against the
 * solver's solution, for Darcy and Helmholtz close to it, relative to the typical solution. The
 * marginal term W₂² (weight ν = {@link DistillSettings#marginalWeight}, left out at 0) compares the
 * batch's histogram of pixel values per channel with its targets' ({@link #marginalTerm}).
 */
public final class StudentObjective implements Trainer.Objective {

  private final Student student;
  private final PairBank bank;
  private final Normalization normalization;
  private final ResidualSpec spec;
  private final Grid grid;
  private final int batch;
  private final DistillSettings schedule;
  private long step;
  private final Map<String, Double> lastTerms = new LinkedHashMap<>();
  private final double residualScale;
  private final SolutionTerm solutionTerm;
  private final Shape sampleShape;
  private final DjlOps ops = new DjlOps();

  public StudentObjective(
      Student student,
      PairBank bank,
      Normalization normalization,
      ResidualSpec spec,
      Grid grid,
      Shape sampleShape,
      int batch,
      DistillSettings schedule,
      double sourceRms,
      SolutionTerm solutionTerm) {
    if (!(sourceRms > 0)) {
      throw new IllegalArgumentException("source rms must be positive, got " + sourceRms);
    }
    if (schedule.solutionWeight() > 0 && solutionTerm == null) {
      throw new IllegalArgumentException(
          "a solution weight of "
              + schedule.solutionWeight()
              + " needs the solution term of a PDE with u = 0 on ∂Ω");
    }
    this.solutionTerm = solutionTerm;
    this.student = student;
    this.bank = bank;
    this.normalization = normalization;
    this.spec = spec;
    this.grid = grid;
    this.sampleShape = sampleShape;
    this.batch = batch;
    this.schedule = schedule;
    this.residualScale = 1 / sourceRms;
  }

  /**
   * The parts of the last step's loss: the regression term, the residual term mean (s·R)² (before
   * λ) and λ itself, for loss traces.
   */
  public Map<String, Double> lastTerms() {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(lastTerms));
  }

  /**
   * The inverse Dirichlet Laplacian and t = 1 / rms((−Δ_h)⁻¹f), the solution term's scale, where
   * the PDE has u = 0 on ∂Ω.
   */
  public record SolutionTerm(DjlInverseLaplacian inverse, double scale) {
    public SolutionTerm {
      if (!(scale > 0) || !Double.isFinite(scale)) {
        throw new IllegalArgumentException("solution scale must be positive, got " + scale);
      }
    }
  }

  /** s = 1 / rms(f): the factor applied to R inside the residual term. */
  public double residualScale() {
    return residualScale;
  }

  @Override
  public String name() {
    return "piddm-student";
  }

  @Override
  public void beforeStep(long step) {
    this.step = step;
    bank.beforeStep(step);
  }

  @Override
  public NDArray loss(Function<String, NDArray> parameters, NDManager scope, Random random) {
    int length = bank.sampleLength();
    float[] eps = new float[batch * length];
    float[] target = new float[batch * length];
    for (int b = 0; b < batch; b++) {
      int pair = random.nextInt(bank.size());
      System.arraycopy(bank.epsilon(), pair * length, eps, b * length, length);
      System.arraycopy(bank.x0(), pair * length, target, b * length, length);
    }
    Shape shape = new Shape(batch).addAll(sampleShape);
    NDArray output = student.forward(ops, parameters, scope.create(eps, shape));
    NDArray targets = scope.create(target, shape);
    NDArray loss = regressionTerm(output.sub(targets), schedule);
    lastTerms.put("regression", (double) loss.getFloat());
    // measured whatever ν, so every trace shows how far the outputs' histogram is from the pairs'
    NDArray marginal = marginalTerm(output, targets);
    lastTerms.put("marginal", (double) marginal.getFloat());
    double nu = schedule.marginalWeight();
    if (nu > 0) {
      loss = loss.add(DjlOps.times(marginal, nu));
    }
    double lambda = schedule.lambdaAt(step);
    // the residual term is measured even while λ is 0, so loss traces show it fall as the student
    // learns its pairs; it joins the loss (and its gradient) only with λ > 0
    NDArray physicsTerm = physicsTerm(output);
    lastTerms.put("lambda", lambda);
    if (lambda == 0) {
      return loss;
    }
    return loss.add(DjlOps.times(physicsTerm, lambda));
  }

  /**
   * The regression term of the differences d = d(ε) − x0: the mean over pixels of d², or of the
   * pseudo-Huber loss √(d² + c²) − c where {@code settings} give a scale c.
   */
  public static NDArray regressionTerm(NDArray difference, DistillSettings settings) {
    if (settings.squaredRegression()) {
      return difference.square().mean();
    }
    double c = settings.pseudoHuberScale();
    return difference.square().add(c * c).sqrt().sub(c).mean();
  }

  /**
   * The squared 1-D Wasserstein distance between the pixel values of {@code outputs} and of {@code
   * targets} [N, C, S, S], per channel over the whole batch, averaged over channels: each channel's
   * values sorted, matched by rank, mean squared difference. The gradient moves each output pixel
   * towards the target value of its rank, so values the targets do not take cost, whichever pixel
   * holds them.
   */
  public static NDArray marginalTerm(NDArray outputs, NDArray targets) {
    return sortedPerChannel(outputs).sub(sortedPerChannel(targets.stopGradient())).square().mean();
  }

  /** [C, N·S·S]: each channel's values over the batch in ascending order. */
  private static NDArray sortedPerChannel(NDArray x) {
    long channels = x.getShape().get(1);
    return x.transpose(1, 0, 2, 3).reshape(channels, -1).sort(1);
  }

  /**
   * mean (s·R)² + μ · mean (t·(−Δ_h)⁻¹R)², recording both parts for the loss trace; the solution
   * part is measured whenever the PDE has it, so a μ = 0 run's trace shows it too.
   */
  private NDArray physicsTerm(NDArray normalisedOutput) {
    NDArray residual = residual(normalisedOutput);
    NDArray residualTerm = meanSquare(residual, residualScale);
    lastTerms.put("residual", (double) residualTerm.getFloat());
    if (solutionTerm == null) {
      return residualTerm;
    }
    NDArray solution = meanSquare(solutionTerm.inverse().apply(residual), solutionTerm.scale());
    lastTerms.put("solution", (double) solution.getFloat());
    double mu = schedule.solutionWeight();
    return mu == 0 ? residualTerm : residualTerm.add(DjlOps.times(solution, mu));
  }

  /**
   * mean (s·R)² of normalised outputs [N, C, S, S]; with {@link
   * DistillSettings#coefficientGradient} β < 1 the gradient through every channel but the last (u)
   * is scaled by β (β = 0: they enter as constants).
   */
  public NDArray residualTerm(NDArray normalisedOutput) {
    return meanSquare(residual(normalisedOutput), residualScale);
  }

  /** mean (scale · x)², the form of both physics terms. */
  private static NDArray meanSquare(NDArray x, double scale) {
    return DjlOps.times(x, scale).square().mean();
  }

  /** R of normalised outputs, shaped as {@link #residualTerm} describes. */
  private NDArray residual(NDArray normalisedOutput) {
    NDArray shaped = normalisedOutput;
    long channels = normalisedOutput.getShape().get(1);
    double beta = schedule.coefficientGradient();
    if (beta < 1 && channels > 1) {
      // same values; the gradient through the coefficient channels scaled by β
      NDArray coefficient = normalisedOutput.get(new NDIndex(":, :{}", channels - 1));
      NDArray held = coefficient.stopGradient();
      if (beta > 0) {
        held = DjlOps.times(coefficient, beta).add(DjlOps.times(held, 1 - beta));
      }
      shaped = held.concat(normalisedOutput.get(new NDIndex(":, {}:", channels - 1)), 1);
    }
    NDArray physical = normalization.toPhysical(shaped);
    return DjlResidual.residual(spec, grid, physical);
  }

  @Override
  public void save(Path dir) throws IOException {
    bank.save(dir);
  }

  @Override
  public void restore(Path dir) throws IOException {
    bank.restore(dir);
  }
}
