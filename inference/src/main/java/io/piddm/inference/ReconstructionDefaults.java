package io.piddm.inference;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.TypeAdapter;
import com.google.gson.reflect.TypeToken;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import io.piddm.physics.pde.Pde;
import java.io.IOException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A model's reconstruction settings per task: what the sampler's {@code Reconstruct} uses where a
 * request leaves steps, learning rate or the weights unset. They travel with the model, in the ONNX
 * metadata ({@link #METADATA_KEY}, JSON) and in the registry manifest, so a model published with
 * settings is reconstructed with them.
 *
 * <p>{@link #validated} holds the settings chosen per PDE on the validation set (solver seed 2024,
 * 8 fields per task, never the held-out test set) with the seed-1 students of the {@code standard}
 * profile: docs/results/sweeps/reconstruction-solution-weight-seed1.
 */
public record ReconstructionDefaults(Map<Task, TaskSettings> tasks) {

  /** ONNX metadata key of the defaults, a JSON object keyed by {@link Task#key}. */
  public static final String METADATA_KEY = "reconstruct_defaults";

  /** Gson, with optimizer names read strictly: Gson's own enum adapter reads an unknown as null. */
  private static final Gson GSON =
      new GsonBuilder()
          .registerTypeAdapter(
              Reconstruction.Optimizer.class,
              new TypeAdapter<Reconstruction.Optimizer>() {
                @Override
                public void write(JsonWriter out, Reconstruction.Optimizer value)
                    throws IOException {
                  out.value(value == null ? null : value.name());
                }

                @Override
                public Reconstruction.Optimizer read(JsonReader in) throws IOException {
                  if (in.peek() == JsonToken.NULL) {
                    in.nextNull();
                    return null;
                  }
                  String name = in.nextString();
                  try {
                    return Reconstruction.Optimizer.valueOf(name);
                  } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(
                        "reconstruction defaults: unknown optimizer \""
                            + name
                            + "\" (ADAM, LBFGS)");
                  }
                }
              })
          .create();

  /** The sampler's task kinds, named as the wire's {@code TaskKind} is. */
  public enum Task {
    /** The coefficient (Burgers: the initial condition) observed, the solution estimated. */
    FORWARD,
    /** The solution (Burgers: the last time level) observed, the coefficient estimated. */
    INVERSE,
    /** Sparse points of every channel observed. */
    RECONSTRUCTION;

    /** The lower-case name, the key in metadata and manifests. */
    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The task of a key; IllegalArgumentException names the known ones. */
    public static Task ofKey(String key) {
      for (Task t : values()) {
        if (t.key().equals(key)) {
          return t;
        }
      }
      throw new IllegalArgumentException(
          "reconstruction defaults: unknown task \""
              + key
              + "\" (forward, inverse, reconstruction)");
    }
  }

  /**
   * The optimiser's settings for one task: evaluations of the graph, learning rate (L-BFGS: the rms
   * of its first step), the loss weights and the optimiser (absent in JSON written before it:
   * Adam).
   */
  public record TaskSettings(
      int steps,
      double learningRate,
      double lambdaObs,
      double lambdaPde,
      double lambdaSolution,
      Reconstruction.Optimizer optimizer) {
    public TaskSettings {
      if (steps < 1) {
        throw new IllegalArgumentException("reconstruction defaults: steps must be >= 1");
      }
      for (double v : new double[] {learningRate, lambdaObs, lambdaPde, lambdaSolution}) {
        if (!Double.isFinite(v) || v < 0) {
          throw new IllegalArgumentException(
              "reconstruction defaults: learning rate and weights must be finite and >= 0, got "
                  + v);
        }
      }
      if (!(learningRate > 0)) {
        throw new IllegalArgumentException("reconstruction defaults: learning rate must be > 0");
      }
      if (lambdaObs == 0 && lambdaPde == 0 && lambdaSolution == 0) {
        throw new IllegalArgumentException(
            "reconstruction defaults: every weight is 0, nothing to minimise");
      }
      if (optimizer == null) {
        optimizer = Reconstruction.Optimizer.ADAM;
      }
    }

    /** Adam's settings. */
    public TaskSettings(
        int steps, double learningRate, double lambdaObs, double lambdaPde, double lambdaSolution) {
      this(
          steps, learningRate, lambdaObs, lambdaPde, lambdaSolution, Reconstruction.Optimizer.ADAM);
    }
  }

  public ReconstructionDefaults {
    EnumMap<Task, TaskSettings> copy = new EnumMap<>(Task.class);
    copy.putAll(tasks);
    tasks = Collections.unmodifiableMap(copy);
  }

  /** No defaults: older exports, models published without them. */
  public static ReconstructionDefaults none() {
    return new ReconstructionDefaults(Map.of());
  }

  /** The settings of {@code task}, if the model has them. */
  public Optional<TaskSettings> of(Task task) {
    return Optional.ofNullable(tasks.get(task));
  }

  /**
   * The settings chosen for {@code pde} on the validation set (solver seed 2024, 8 fields per task,
   * never the held-out test set), with the seed-1 {@code standard} students.
   *
   * <p>The optimiser is L-BFGS, with as many evaluations of the graph as fit in a fifth of the
   * guided teacher's seconds per task on the benchmark's machine (one evaluation costs ~7.7 ms on
   * Darcy, 9.4 on Poisson, 10 on Helmholtz and 10.5 on Burgers, one thread; the guided teacher
   * takes 2.4–2.6 s): 60 for Darcy, 45 for Poisson and Helmholtz, 40 for Burgers. At 40–60
   * evaluations L-BFGS reaches what 200 Adam steps reached on every task, and Adam at the same
   * count is 1.2–8× worse (darcy inverse a: Adam 200 steps 0.243, Adam 60 0.324, L-BFGS 60 0.214;
   * Poisson forward u: Adam 50 0.090, L-BFGS 40 0.027 —
   * docs/results/sweeps/reconstruction-lbfgs-validation).
   *
   * <p>The weights are those chosen for Adam, which L-BFGS did not need changed. Forward: Poisson
   * and Helmholtz λ_obs 1, λ_pde 1e-3 and the solution term at 100; Darcy with the observation term
   * nearly off (λ_obs 1e-6: the coefficient is observed, the PDE decides u), λ_pde 1, λ_sol 100,
   * and a first step of rms 1.0; Burgers λ_obs 1, λ_pde 100. Inverse and sparse points: λ_obs 1,
   * λ_pde 1e-3, and λ_sol 1000 for Poisson and Helmholtz (sparse → u: 0.40 → 0.082 and 0.39 → 0.094
   * under Adam); Darcy's inverse without the solution term (at 10 and 100 it got worse) and its
   * sparse points with λ_pde 10 (a 0.439 → 0.317, u 0.220 → 0.054 against 1e-3 —
   * docs/results/sweeps/reconstruction-pde-weight-seed1); Burgers λ_pde 10 (its residual decides
   * the later rows only when it outweighs the observations —
   * docs/results/sweeps/burgers32-reconstruction-validation).
   */
  public static ReconstructionDefaults validated(Pde pde) {
    int evaluations =
        switch (pde) {
          case DARCY -> 60;
          case POISSON, HELMHOLTZ -> 45;
          case BURGERS -> 40;
        };
    Reconstruction.Optimizer lbfgs = Reconstruction.Optimizer.LBFGS;
    TaskSettings forward =
        switch (pde) {
          case POISSON, HELMHOLTZ -> new TaskSettings(evaluations, 0.05, 1, 1e-3, 100, lbfgs);
          case DARCY -> new TaskSettings(evaluations, 1.0, 1e-6, 1, 100, lbfgs);
          case BURGERS -> new TaskSettings(evaluations, 0.05, 1, 100, 0, lbfgs);
        };
    double lambdaSolution = pde == Pde.POISSON || pde == Pde.HELMHOLTZ ? 1000 : 0;
    TaskSettings observed =
        pde == Pde.BURGERS
            ? new TaskSettings(evaluations, 0.05, 1, 10, 0, lbfgs)
            : new TaskSettings(evaluations, 0.05, 1, 1e-3, lambdaSolution, lbfgs);
    // Darcy's sparse points need the PDE term its inverse task does not want
    TaskSettings sparse =
        pde == Pde.DARCY ? new TaskSettings(evaluations, 0.05, 1, 10, 0, lbfgs) : observed;
    return new ReconstructionDefaults(
        Map.of(Task.FORWARD, forward, Task.INVERSE, observed, Task.RECONSTRUCTION, sparse));
  }

  /** The JSON of the metadata key: {"forward": {"steps": 50, "learningRate": 0.05, ...}, ...}. */
  public String toJson() {
    Map<String, TaskSettings> byKey = new LinkedHashMap<>();
    tasks.forEach((task, settings) -> byKey.put(task.key(), settings));
    return GSON.toJson(byKey);
  }

  /** The defaults of a metadata value; null or blank is {@link #none}. */
  public static ReconstructionDefaults fromJson(String json) {
    if (json == null || json.isBlank()) {
      return none();
    }
    Map<String, TaskSettings> byKey;
    try {
      byKey = GSON.fromJson(json, new TypeToken<Map<String, TaskSettings>>() {}.getType());
    } catch (JsonParseException e) {
      throw new IllegalArgumentException(
          "reconstruction defaults: unparseable JSON: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      // a record constructor's check, wrapped by Gson
      if (e.getCause() instanceof IllegalArgumentException check) {
        throw check;
      }
      throw new IllegalArgumentException("reconstruction defaults: " + e.getMessage(), e);
    }
    Map<Task, TaskSettings> tasks = new EnumMap<>(Task.class);
    byKey.forEach(
        (key, s) -> {
          if (s == null) {
            throw new IllegalArgumentException("reconstruction defaults: " + key + " is null");
          }
          // Gson fills records through their canonical constructor, so the checks have run
          tasks.put(Task.ofKey(key), s);
        });
    return new ReconstructionDefaults(tasks);
  }
}
