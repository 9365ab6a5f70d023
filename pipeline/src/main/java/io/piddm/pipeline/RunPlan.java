package io.piddm.pipeline;

import io.piddm.api.registry.RegistryNames;
import io.piddm.diffusion.distill.DistillSettings;
import io.piddm.diffusion.train.TrainSettings;
import io.piddm.physics.pde.Pde;
import java.util.List;
import java.util.Map;

/**
 * Everything one training run does, with every default already filled in from its profile: the
 * dataset, the teacher, the pair bank and student, the evaluation and where the student is
 * published. Checkpoint folders are not part of the plan; {@link RunPipeline} places them in the
 * run's folder. Invalid values throw {@link IllegalArgumentException} naming the field.
 */
public record RunPlan(
    Pde pde,
    int resolution,
    String profile,
    Dataset dataset,
    Teacher teacher,
    DistillSettings distill,
    TrainSettings student,
    Evaluation evaluation,
    Publish publish,
    int threads) {

  /**
   * The training set and the held-out reference set: both from the solver (the held-out set with
   * another seed), or, with {@code importPath}, a DiffusionPDE-style .mat file whose last {@code
   * heldOutCount} fields are held out and whose first {@code count} (0: all the others) train.
   */
  public record Dataset(
      int count, long seed, int heldOutCount, long heldOutSeed, java.nio.file.Path importPath) {
    public Dataset {
      require(
          count >= 1 || (importPath != null && count == 0),
          "dataset.count must be positive, got " + count);
      require(heldOutCount >= 2, "dataset.held_out_count must be at least 2, got " + heldOutCount);
      require(
          importPath != null || seed != heldOutSeed,
          "dataset.held_out_seed must differ from dataset.seed (" + seed + "): held-out data");
    }

    public Dataset(int count, long seed, int heldOutCount, long heldOutSeed) {
      this(count, seed, heldOutCount, heldOutSeed, null);
    }
  }

  /** The EDM teacher: network preset, optimiser and the Heun steps its samples use. */
  public record Teacher(String preset, TrainSettings training, int samplerSteps) {
    public Teacher {
      require(
          Presets.NAMES.contains(preset),
          "teacher.preset must be one of " + Presets.NAMES + ", got \"" + preset + "\"");
      require(samplerSteps >= 1, "teacher.sampler_steps must be positive, got " + samplerSteps);
    }
  }

  /** Samples per seed compared with the held-out set; one evaluation per seed. */
  public record Evaluation(int samples, List<Long> seeds) {
    public Evaluation {
      require(samples >= 2, "evaluation.samples must be at least 2, got " + samples);
      require(!seeds.isEmpty(), "evaluation.seeds must not be empty");
      seeds = List.copyOf(seeds);
    }
  }

  /** The registry model name and an optional alias to move, or {@code skip} to publish nothing. */
  public record Publish(String modelName, String alias, boolean skip, Map<String, String> labels) {
    public Publish {
      alias = alias == null ? "" : alias;
      labels = Map.copyOf(labels);
      if (!skip) {
        String problem = RegistryNames.modelProblem(modelName);
        require(problem == null, "publish.model_name: " + problem);
        problem = alias.isEmpty() ? null : RegistryNames.aliasProblem(alias);
        require(problem == null, "publish.request_alias: " + problem);
      }
    }
  }

  public RunPlan {
    require(resolution >= 8, "resolution must be at least 8, got " + resolution);
    require(threads >= 1, "threads must be positive, got " + threads);
    Presets.network(teacher.preset(), resolution, pde.channels().size())
        .requireResolution(resolution);
  }

  static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
