package io.piddm.diffusion.distill;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.djl.DjlInverseLaplacian;
import io.piddm.diffusion.djl.DjlParameters;
import io.piddm.diffusion.model.TrainedModel;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.train.LossTrace;
import io.piddm.diffusion.train.TrainSettings;
import io.piddm.diffusion.train.Trainer;
import io.piddm.diffusion.train.TrainingListener;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpec;
import io.piddm.physics.residual.ResidualSpecs;
import io.piddm.physics.residual.SourceScales;
import io.piddm.physics.solve.DirichletLaplacian;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The PIDDM distillation step end to end: a student initialised from the teacher's EMA weights,
 * trained on the teacher's pair bank with the consistent residual term, checkpointed and resumable,
 * saved as a {@link TrainedModel} of kind student that records the pair-generation cost.
 */
public final class Distillation {

  private Distillation() {}

  /** What a finished distillation produced. */
  public record Result(
      TrainedModel model,
      long pairsGenerated,
      double pairGenerationSeconds,
      double trainingSeconds,
      long skippedSteps,
      double residualScale) {}

  public static Result run(
      Path teacherDir,
      DistillSettings distill,
      TrainSettings training,
      Path outputDir,
      TrainingListener listener)
      throws IOException {
    return run(teacherDir, distill, training, outputDir, listener, PairBank.PairListener.NONE);
  }

  /** As above, with the pair bank's generation progress reported to {@code pairs}. */
  public static Result run(
      Path teacherDir,
      DistillSettings distill,
      TrainSettings training,
      Path outputDir,
      TrainingListener listener,
      PairBank.PairListener pairs)
      throws IOException {
    TrainedModel teacher = TrainedModel.read(teacherDir);
    if (!TrainedModel.TEACHER.equals(teacher.kind())) {
      throw new IllegalArgumentException(
          teacherDir + " holds a " + teacher.kind() + ", not a teacher");
    }
    Pde pde = teacher.pdeKind();
    Grid grid = new Grid(teacher.resolution());
    UNet net = teacher.net();
    Shape sampleShape = new Shape(pde.channels().size(), grid.size(), grid.size());
    // the spec the teacher's run chose: the student is judged by what its teacher is judged by
    ResidualSpec spec = teacher.residualSpec();
    try (NDManager manager = NDManager.newBaseManager();
        DjlParameters teacherWeights = teacher.loadWeights(teacherDir, manager)) {
      PairBank bank =
          new PairBank(teacher.edm(), teacherWeights, distill, sampleShape, training.seed());
      bank.setListener(pairs);
      SolvedTargets solved =
          distill.solvedTargets() ? new SolvedTargets(pde, grid, teacher.normalization()) : null;
      bank.setSolvedTargets(solved);
      StudentObjective objective =
          new StudentObjective(
              teacher.student(),
              bank,
              teacher.normalization(),
              spec,
              grid,
              sampleShape,
              training.batchSize(),
              distill,
              SourceScales.sourceRms(pde, grid, spec),
              solutionTerm(pde, grid, spec));
      long started = System.nanoTime();
      try (Trainer trainer =
          Trainer.startOrResume(net, training, objective, teacherWeights::copy)) {
        trainer.train(
            new LossTrace(
                outputDir.resolve(LossTrace.FILE),
                LossTrace.EVERY,
                objective::lastTerms,
                listener));
        double seconds = (System.nanoTime() - started) / 1e9;
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("objective", objective.name());
        info.put("teacher", teacherDir.toAbsolutePath().toString());
        info.put("teacherTraining", teacher.training());
        info.put(TrainedModel.RESIDUAL_SPEC, spec.id());
        info.put(TrainedModel.RESIDUAL_SPEC_DEFINITION, spec.definition());
        info.put("residualScale", objective.residualScale());
        info.put("lambdaTrain", distill.lambdaTrain());
        info.put("residualWarmupSteps", distill.residualWarmupSteps());
        info.put("residualRampSteps", distill.residualRampSteps());
        info.put("residualShapesSolutionOnly", distill.residualShapesSolutionOnly());
        info.put("residualCoefficientGradient", distill.coefficientGradient());
        info.put("solutionWeight", distill.solutionWeight());
        info.put("pseudoHuberScale", distill.pseudoHuberScale());
        info.put("solvedTargets", distill.solvedTargets());
        info.put("marginalWeight", distill.marginalWeight());
        if (solved != null) {
          info.put("targetsSolved", solved.solved());
          info.put("targetsRefused", solved.refused());
        }
        info.put("bankSize", distill.bankSize());
        info.put("teacherSteps", distill.teacherSteps());
        info.put("refreshEvery", distill.refreshEvery());
        info.put("refreshFraction", distill.refreshFraction());
        info.put("pairsGenerated", bank.pairsGenerated());
        info.put("pairGenerationSeconds", bank.generationSeconds());
        info.put("trainingSeconds", seconds);
        info.put("settings", training.describe());
        info.put("skippedSteps", trainer.skippedSteps());
        TrainedModel student =
            new TrainedModel(
                TrainedModel.STUDENT,
                teacher.pde(),
                teacher.resolution(),
                teacher.network(),
                teacher.normalization(),
                teacher.dataset(),
                info);
        student.write(outputDir, trainer.ema());
        return new Result(
            student,
            bank.pairsGenerated(),
            bank.generationSeconds(),
            seconds,
            trainer.skippedSteps(),
            objective.residualScale());
      }
    }
  }

  /**
   * The solution term where the PDE has u = 0 on ∂Ω, its scale 1 / rms((−Δ_h)⁻¹f); null for
   * Burgers.
   */
  static StudentObjective.SolutionTerm solutionTerm(Pde pde, Grid grid, ResidualSpec spec) {
    if (!ResidualSpecs.hasConsistent(pde)) {
      return null;
    }
    return new StudentObjective.SolutionTerm(
        new DjlInverseLaplacian(DirichletLaplacian.interiorOf(grid)),
        1 / SourceScales.solutionRms(pde, grid, spec));
  }
}
