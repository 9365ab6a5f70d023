package io.piddm.results;

import io.piddm.diffusion.edm.GuidedSampler;
import io.piddm.diffusion.eval.DataSpaceOptimisation;
import io.piddm.inference.ReconstructionDefaults;
import io.piddm.inference.StudentModel;
import io.piddm.inference.eval.ReconstructionEvaluation;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.task.DownstreamTask;
import io.piddm.pipeline.Profiles;
import io.piddm.pipeline.RunPlan;
import java.util.List;

/**
 * What the quality benchmark runs. Every training seed gets a whole run of {@code base} (the
 * profile's plan, with the dataset, teacher and student seeds replaced by the training seed); all
 * of them are judged against the same held-out set ({@code heldOutSeed}, never a training seed). A
 * second solver set of {@code samples} fields ({@link #referenceSeed()}) is scored against it as a
 * method would be: the finite-sample floor of MMSE and SMSE.
 *
 * @param samples unconditional samples per method and training seed, the same for every method (the
 *     guided teacher included), so MMSE/SMSE share one finite-sample floor
 * @param guidance the guided teacher: unconditional (residual only) and the downstream tasks
 * @param guidedTasks held-out fields per downstream task of the guided teacher and of the
 *     data-space baseline
 * @param dataSpace the no-model baseline: Adam on the field values against the guidance objective
 * @param refinementSteps PIDDM-ref step counts k, each a row (1 + 2k network evaluations)
 * @param refinement Adam on ε for PIDDM-ref: learning rate, residual weight λ_infer, typicality
 * @param forwardReconstruction PIDDM reconstruction of the forward task
 * @param reconstruction PIDDM reconstruction of the inverse task
 * @param sparseReconstruction PIDDM reconstruction of the sparse-points task (the settings that
 *     work for each task differ: {@link ReconstructionDefaults#validated})
 */
public record QualitySettings(
    RunPlan base,
    List<Long> seeds,
    long heldOutSeed,
    int heldOutCount,
    int samples,
    long sampleSeed,
    GuidedSampler.Settings guidance,
    int guidedTasks,
    DataSpaceOptimisation.Settings dataSpace,
    List<Integer> refinementSteps,
    Refinement refinement,
    ReconstructionEvaluation.Settings forwardReconstruction,
    ReconstructionEvaluation.Settings reconstruction,
    ReconstructionEvaluation.Settings sparseReconstruction,
    int solverTimingFields) {

  /**
   * PIDDM-ref's optimiser, the sampler's defaults unless set; {@code lambdaSolution} weighs the
   * reconstruction graph's solution term (0 where the PDE has none).
   */
  public record Refinement(
      double learningRate, double lambdaInfer, double lambdaSolution, double typicalityWeight) {}

  public QualitySettings {
    seeds = List.copyOf(seeds);
    refinementSteps = List.copyOf(refinementSteps);
    if (seeds.isEmpty() || seeds.contains(heldOutSeed) || seeds.contains(heldOutSeed + 1)) {
      throw new IllegalArgumentException(
          "quality bench: at least one training seed, none equal to the held-out seed "
              + heldOutSeed
              + " or the reference set's seed "
              + (heldOutSeed + 1));
    }
    if (samples < 2 || heldOutCount < 2 || guidedTasks < 0) {
      throw new IllegalArgumentException(
          "quality bench: at least 2 samples and 2 held-out fields, no negative counts");
    }
  }

  /**
   * The CPU-sized demonstration: the {@code quick} profile's runs at 32², 32 samples per method
   * against 64 held-out fields.
   */
  public static QualitySettings quick(Pde pde, List<Long> seeds) {
    return new QualitySettings(
        Profiles.defaults("quick", pde, 32),
        seeds,
        1000,
        64,
        32,
        7,
        new GuidedSampler.Settings(100, 50, 1e-4),
        8,
        new DataSpaceOptimisation.Settings(1000, 0.05),
        List.of(2, 8, 32),
        new Refinement(0.05, 1, StudentModel.REF_SOLUTION_WEIGHT, 1),
        forwardReconstruction(pde),
        reconstruction(pde),
        sparseReconstruction(pde),
        8);
  }

  /**
   * PIDDM reconstruction of the forward task: the settings an export of {@code pde} carries ({@link
   * ReconstructionDefaults#validated}: L-BFGS, 40–60 evaluations of the graph, chosen on a
   * validation set, never the held-out set), so the benchmark scores what the sampler runs by
   * default.
   */
  static ReconstructionEvaluation.Settings forwardReconstruction(Pde pde) {
    return evaluation(pde, ReconstructionDefaults.Task.FORWARD);
  }

  /** PIDDM reconstruction of the inverse task, as {@link #forwardReconstruction}. */
  static ReconstructionEvaluation.Settings reconstruction(Pde pde) {
    return evaluation(pde, ReconstructionDefaults.Task.INVERSE);
  }

  /** PIDDM reconstruction of the sparse-points task, as {@link #forwardReconstruction}. */
  static ReconstructionEvaluation.Settings sparseReconstruction(Pde pde) {
    return evaluation(pde, ReconstructionDefaults.Task.RECONSTRUCTION);
  }

  /** 8 tasks of {@code task}'s validated settings, 3 % sparse points, progress every 20 steps. */
  private static ReconstructionEvaluation.Settings evaluation(
      Pde pde, ReconstructionDefaults.Task task) {
    ReconstructionDefaults.TaskSettings s =
        ReconstructionDefaults.validated(pde).of(task).orElseThrow();
    return new ReconstructionEvaluation.Settings(
        8,
        s.steps(),
        s.learningRate(),
        s.lambdaObs(),
        s.lambdaPde(),
        s.lambdaSolution(),
        0.03,
        s.steps() < 100 ? 10 : 20,
        3,
        s.optimizer());
  }

  /**
   * The benchmark of a CPU result: the {@code standard} profile's runs, otherwise as {@link
   * #quick}.
   */
  public static QualitySettings standard(Pde pde, List<Long> seeds) {
    QualitySettings q = quick(pde, seeds);
    return new QualitySettings(
        Profiles.defaults("standard", pde, 32),
        seeds,
        q.heldOutSeed(),
        q.heldOutCount(),
        q.samples(),
        q.sampleSeed(),
        q.guidance(),
        q.guidedTasks(),
        q.dataSpace(),
        q.refinementSteps(),
        q.refinement(),
        q.forwardReconstruction(),
        q.reconstruction(),
        q.sparseReconstruction(),
        q.solverTimingFields());
  }

  /** The settings of {@code profile}'s benchmark ({@code quick} or {@code standard}). */
  public static QualitySettings of(String profile, Pde pde, List<Long> seeds) {
    return switch (profile) {
      case "quick" -> quick(pde, seeds);
      case "standard" -> standard(pde, seeds);
      default ->
          throw new IllegalArgumentException(
              "profile: the quality bench runs quick or standard, got \"" + profile + "\"");
    };
  }

  /**
   * The seed of the second solver set, the finite-sample reference row: next to the held-out seed,
   * never a training seed (refused).
   */
  public long referenceSeed() {
    return heldOutSeed + 1;
  }

  /** The sparse task's points, the same for every method: those of the PIDDM reconstruction. */
  public DownstreamTask.SparsePoints sparsePoints() {
    return reconstruction.sparsePoints();
  }

  /** The plan of one training seed: data, teacher and student seeded by it, nothing published. */
  RunPlan planFor(long seed) {
    RunPlan.Dataset d = base.dataset();
    RunPlan.Teacher t = base.teacher();
    return new RunPlan(
        base.pde(),
        base.resolution(),
        base.profile(),
        new RunPlan.Dataset(d.count(), seed, heldOutCount, heldOutSeed, d.importPath()),
        new RunPlan.Teacher(t.preset(), t.training().withSeed(seed), t.samplerSteps()),
        base.distill(),
        base.student().withSeed(seed),
        new RunPlan.Evaluation(samples, List.of(sampleSeed)),
        new RunPlan.Publish("", "", true, java.util.Map.of()),
        base.threads());
  }
}
