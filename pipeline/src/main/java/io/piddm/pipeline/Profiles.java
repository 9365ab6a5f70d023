package io.piddm.pipeline;

import io.piddm.diffusion.distill.DistillSettings;
import io.piddm.diffusion.train.TrainSettings;
import io.piddm.physics.pde.Pde;
import java.util.List;
import java.util.Map;

/**
 * The defaults behind a run spec's {@code profile}; explicit fields of the spec override them.
 *
 * <ul>
 *   <li>{@code quick}: 32², a small dataset and short schedules, sized so the whole run (data,
 *       teacher, pair bank, student, evaluation, export) takes under 10 minutes on 2 CPU cores. Its
 *       student is a demonstration, not a result: the tables in docs/RESULTS.md use longer runs.
 *   <li>{@code paper}: 64² with the dataset sizes and schedules of the published setups, meant for
 *       a GPU; hours on one.
 * </ul>
 */
public final class Profiles {

  public static final List<String> NAMES = List.of("quick", "paper");

  private Profiles() {}

  /** The profile's plan for {@code pde}; {@code resolution} 0 takes the profile's own. */
  public static RunPlan defaults(String profile, Pde pde, int resolution) {
    return switch (profile) {
      case "quick" -> quick(pde, resolution == 0 ? 32 : resolution);
      case "paper" -> paper(pde, resolution == 0 ? 64 : resolution);
      default ->
          throw new IllegalArgumentException(
              "profile must be one of " + NAMES + ", got \"" + profile + "\"");
    };
  }

  private static RunPlan quick(Pde pde, int resolution) {
    long seed = 1;
    return new RunPlan(
        pde,
        resolution,
        "quick",
        new RunPlan.Dataset(512, 1, 32, 2),
        // EMA 0.99: with 600 steps a 0.999 average would still remember the initial weights
        new RunPlan.Teacher(
            "auto", new TrainSettings(16, 600, 2e-3, 60, 1.0, 0.99, seed, 100, null), 18),
        // λ_train 0.01, not the paper's 0.1: after 300 steps on 96 pairs a 0.1 student collapsed to
        // the mean field (SMSE of a 19, i.e. no spread at all); pipeline/README.md has the sweep
        new DistillSettings(96, 18, 0, 0.0, 0.01, 32),
        new TrainSettings(16, 300, 5e-4, 30, 1.0, 0.99, seed, 100, null),
        new RunPlan.Evaluation(16, List.of(3L)),
        new RunPlan.Publish("piddm-" + pde.id() + resolution, "", false, Map.of()),
        Math.max(1, Runtime.getRuntime().availableProcessors()));
  }

  private static RunPlan paper(Pde pde, int resolution) {
    long seed = 1;
    return new RunPlan(
        pde,
        resolution,
        "paper",
        new RunPlan.Dataset(10_000, 1, 1_000, 2),
        new RunPlan.Teacher(
            "auto", new TrainSettings(64, 200_000, 1e-3, 5_000, 1.0, 0.999, seed, 5_000, null), 18),
        new DistillSettings(10_000, 18, 1_000, 0.1, 0.1, 64),
        new TrainSettings(64, 50_000, 2e-4, 1_000, 1.0, 0.999, seed, 2_500, null),
        new RunPlan.Evaluation(1_000, List.of(3L, 4L, 5L)),
        new RunPlan.Publish("piddm-" + pde.id() + resolution, "", false, Map.of()),
        Math.max(1, Runtime.getRuntime().availableProcessors()));
  }
}
