package io.piddm.diffusion.distill;

/**
 * Settings of the PIDDM distillation step: a bank of {@code bankSize} (ε, x0) pairs from the
 * teacher's Heun ODE with {@code teacherSteps} steps; every {@code refreshEvery} student steps a
 * {@code refreshFraction} of the bank is replaced by new pairs (0 or {@code refreshEvery} = 0: a
 * fixed bank); {@code lambdaTrain} weighs the residual term (0 = pure distillation).
 *
 * <p>The residual term is brought in on a schedule: λ = 0 for the first {@code residualWarmupSteps}
 * student steps, then a linear ramp to {@code lambdaTrain} over {@code residualRampSteps}. The
 * student starts from the teacher's network evaluated once at σ_max, whose fields are far from
 * solving the PDE (relative residual ~22 on Darcy: docs/results/sweeps/darcy32-skip-path-seed1), so
 * with the full λ from step one the residual term is almost the whole loss and drives the student
 * away from its pairs before it has learnt them (issue #16: collapsed or diverged students on 2 of
 * 3 seeds). Learning the pairs first brings the residual down to the teacher's level; the ramp then
 * trades it against the pairs smoothly.
 *
 * <p>{@code coefficientGradient} (β in [0, 1]): the share of the residual term's gradient that
 * reaches the network through the coefficient or source channels (every channel but u, the last); u
 * always gets all of it. β = 1 is the full gradient; β = 0 ({@link #residualShapesSolutionOnly})
 * lets those channels enter R as constants. R can be driven to zero by u alone (u is determined by
 * a), and a full gradient also lets the residual term smooth a, which costs the coefficient its
 * spread (measured on Darcy: SMSE of a 17× the teacher's with the full gradient). With one channel
 * (Burgers) it changes nothing.
 *
 * <p>{@code solutionWeight} (μ) adds the solution term beside the residual term, under the same λ:
 * the residual passed through the inverse Dirichlet Laplacian ({@code physics/solve/
 * DirichletLaplacian}), i.e. an estimate of the error of u itself, relative to the typical
 * solution. A pointwise residual weighs an error mode by its eigenvalue, so it hardly sees the
 * smoothest modes, and those hold 92–100 % of the generated fields' solution error
 * (docs/results/sweeps/solution-error-spectrum). 0 leaves it out; it needs a PDE with u = 0 on ∂Ω.
 *
 * <p>{@code pseudoHuberScale} (c) picks the regression term's loss per pixel: 0 is the squared
 * error of the paper; c > 0 the pseudo-Huber loss √(d² + c²) − c, an absolute error beyond c. A
 * squared error pulls a pixel back with a force proportional to its error, so any steady push of
 * the residual term moves it by an amount proportional to λ, and where the teacher's map from ε to
 * x0 is hard to fit it settles on the conditional mean — both blur a two-valued coefficient
 * (Darcy's a ∈ {3, 12}) and shrink its spread. The absolute error pulls with a force that does not
 * shrink with the error and fits the conditional median, a value the data takes.
 *
 * <p>{@code solvedTargets}: each pair's target u is replaced by the solver's solution for the
 * teacher's own a ({@link SolvedTargets}; Darcy, Poisson and Helmholtz). The teacher's fields do
 * not solve their PDE (its u is off by its own error for its a), so with the teacher's x0 the
 * regression term pulls u away from what the residual term asks; with solved targets both terms ask
 * for the same u, and a keeps the teacher's value.
 *
 * <p>{@code marginalWeight} (ν) adds the marginal term beside the regression term: per channel, the
 * squared 1-D Wasserstein distance between the pixel values of the batch's outputs and those of its
 * targets (both sorted, matched by rank). The regression term asks each pixel for its pair's value;
 * the residual term can still buy its error by moving pixels to values the data never takes (Darcy:
 * 31 % of pixels strictly between a's two values at λ 0.1, 1.5 % in the teacher's samples), which
 * costs the coefficient its spread. The marginal term prices exactly that: a pixel may move, but
 * the batch's histogram must stay the targets'. 0 leaves it out.
 */
public record DistillSettings(
    int bankSize,
    int teacherSteps,
    long refreshEvery,
    double refreshFraction,
    double lambdaTrain,
    int generationBatch,
    long residualWarmupSteps,
    long residualRampSteps,
    double coefficientGradient,
    double solutionWeight,
    double pseudoHuberScale,
    boolean solvedTargets,
    double marginalWeight) {

  public DistillSettings {
    if (bankSize < 1
        || teacherSteps < 1
        || refreshEvery < 0
        || !(refreshFraction >= 0 && refreshFraction <= 1)
        || !(lambdaTrain >= 0)
        || !Double.isFinite(lambdaTrain)
        || generationBatch < 1
        || residualWarmupSteps < 0
        || residualRampSteps < 0
        || !(solutionWeight >= 0)
        || !Double.isFinite(solutionWeight)
        || !(pseudoHuberScale >= 0)
        || !Double.isFinite(pseudoHuberScale)
        || !(marginalWeight >= 0)
        || !Double.isFinite(marginalWeight)
        || !(coefficientGradient >= 0 && coefficientGradient <= 1)) {
      throw new IllegalArgumentException(
          "invalid distillation settings: bank "
              + bankSize
              + ", teacher steps "
              + teacherSteps
              + ", refresh every "
              + refreshEvery
              + " steps by "
              + refreshFraction
              + ", λ_train "
              + lambdaTrain
              + ", generation batch "
              + generationBatch
              + ", residual warm-up "
              + residualWarmupSteps
              + " and ramp "
              + residualRampSteps
              + " steps, solution weight "
              + solutionWeight
              + ", pseudo-Huber scale "
              + pseudoHuberScale
              + ", coefficient gradient "
              + coefficientGradient
              + ", marginal weight "
              + marginalWeight);
    }
  }

  /** Settings whose regression term is the squared error. */
  public DistillSettings(
      int bankSize,
      int teacherSteps,
      long refreshEvery,
      double refreshFraction,
      double lambdaTrain,
      int generationBatch,
      long residualWarmupSteps,
      long residualRampSteps,
      boolean residualShapesSolutionOnly,
      double solutionWeight) {
    this(
        bankSize,
        teacherSteps,
        refreshEvery,
        refreshFraction,
        lambdaTrain,
        generationBatch,
        residualWarmupSteps,
        residualRampSteps,
        residualShapesSolutionOnly ? 0.0 : 1.0,
        solutionWeight,
        0,
        false,
        0);
  }

  /** Settings without the solution term. */
  public DistillSettings(
      int bankSize,
      int teacherSteps,
      long refreshEvery,
      double refreshFraction,
      double lambdaTrain,
      int generationBatch,
      long residualWarmupSteps,
      long residualRampSteps,
      boolean residualShapesSolutionOnly) {
    this(
        bankSize,
        teacherSteps,
        refreshEvery,
        refreshFraction,
        lambdaTrain,
        generationBatch,
        residualWarmupSteps,
        residualRampSteps,
        residualShapesSolutionOnly,
        0);
  }

  /** Settings whose residual term's gradient reaches every channel. */
  public DistillSettings(
      int bankSize,
      int teacherSteps,
      long refreshEvery,
      double refreshFraction,
      double lambdaTrain,
      int generationBatch,
      long residualWarmupSteps,
      long residualRampSteps) {
    this(
        bankSize,
        teacherSteps,
        refreshEvery,
        refreshFraction,
        lambdaTrain,
        generationBatch,
        residualWarmupSteps,
        residualRampSteps,
        false);
  }

  /** Settings with the residual term at full weight from the first step. */
  public DistillSettings(
      int bankSize,
      int teacherSteps,
      long refreshEvery,
      double refreshFraction,
      double lambdaTrain,
      int generationBatch) {
    this(bankSize, teacherSteps, refreshEvery, refreshFraction, lambdaTrain, generationBatch, 0, 0);
  }

  /** Pairs replaced at each refresh. */
  public int refreshCount() {
    return refreshEvery == 0 ? 0 : (int) Math.round(refreshFraction * bankSize);
  }

  /** λ at student step {@code step} (0-based): 0 during the warm-up, then the linear ramp. */
  public double lambdaAt(long step) {
    if (step < residualWarmupSteps) {
      return 0;
    }
    if (residualRampSteps == 0) {
      return lambdaTrain;
    }
    return lambdaTrain * Math.min(1, (step - residualWarmupSteps + 1) / (double) residualRampSteps);
  }

  /** The same settings with another λ_train (the λ = 0 control keeps the schedule's shape). */
  public DistillSettings withLambdaTrain(double lambda) {
    return new DistillSettings(
        bankSize,
        teacherSteps,
        refreshEvery,
        refreshFraction,
        lambda,
        generationBatch,
        residualWarmupSteps,
        residualRampSteps,
        coefficientGradient,
        solutionWeight,
        pseudoHuberScale,
        solvedTargets,
        marginalWeight);
  }

  /** Whether the residual term's gradient reaches the solution channel only. */
  public boolean residualShapesSolutionOnly() {
    return coefficientGradient == 0;
  }

  /** Whether the regression term is the squared error (c = 0) rather than the pseudo-Huber loss. */
  public boolean squaredRegression() {
    return pseudoHuberScale == 0;
  }
}
