package io.piddm.diffusion.model;

import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.piddm.diffusion.djl.DjlParameters;
import io.piddm.diffusion.edm.Edm;
import io.piddm.diffusion.edm.Normalization;
import io.piddm.diffusion.io.AtomicFiles;
import io.piddm.diffusion.net.OutputConstraint;
import io.piddm.diffusion.net.Student;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.physics.pde.FieldConstraints;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpec;
import io.piddm.physics.residual.ResidualSpecs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A trained network as a folder: {@code model.json} (what it is: teacher or student, PDE, grid,
 * layer description, the network's per-channel normalisation, where its data came from, how it was
 * trained) and {@code weights.ndlist} (the EMA weights). What evaluation, distillation and export
 * start from.
 */
public record TrainedModel(
    String kind,
    String pde,
    int resolution,
    UNetSpec network,
    Normalization normalization,
    Map<String, Object> dataset,
    Map<String, Object> training) {

  public static final String TEACHER = "teacher";
  public static final String STUDENT = "student";
  public static final String CARD = "model.json";

  /** Keys of a student card's training map: the spec's id and its definition. */
  public static final String RESIDUAL_SPEC = "residualSpec";

  public static final String RESIDUAL_SPEC_DEFINITION = "residualSpecDefinition";
  private static final String WEIGHTS = "weights.ndlist";
  private static final Gson GSON =
      new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

  public TrainedModel {
    if (!TEACHER.equals(kind) && !STUDENT.equals(kind)) {
      throw new IllegalArgumentException("kind: expected teacher or student, got " + kind);
    }
    Pde.parse(pde);
    network.requireResolution(resolution);
    dataset = Map.copyOf(dataset);
    training = Map.copyOf(training);
  }

  public Pde pdeKind() {
    return Pde.parse(pde);
  }

  public UNet net() {
    return new UNet(network);
  }

  /** The PDE's field constraints as the network's last layer, in this model's normalisation. */
  public OutputConstraint constraint() {
    return OutputConstraint.of(
        FieldConstraints.of(pdeKind()), normalization.mean(), normalization.std(), resolution);
  }

  /**
   * The residual spec this model is judged with, as its card records it (checked against this
   * build's definition): the one its teacher's run chose, which a student is distilled with. A
   * teacher's card written before teachers recorded it is read as naming the spec such runs chose.
   */
  public ResidualSpec residualSpec() {
    Object id = training.get(RESIDUAL_SPEC);
    if (id == null) {
      if (!TEACHER.equals(kind)) {
        throw new IllegalStateException(
            "a " + kind + " card without " + RESIDUAL_SPEC + ": distilled before specs travelled");
      }
      return ResidualSpecs.training(pdeKind());
    }
    @SuppressWarnings("unchecked")
    Map<String, ?> definition = (Map<String, ?>) training.get(RESIDUAL_SPEC_DEFINITION);
    return ResidualSpecs.recorded(id.toString(), definition);
  }

  /** The teacher's EDM denoiser on this model's network. */
  public Edm edm() {
    return new Edm(net(), constraint());
  }

  /** The one-step student on this model's network. */
  public Student student() {
    return new Student(net(), constraint());
  }

  /** Writes the weights, then the card, so a folder with a card always has its weights. */
  public void write(Path dir, DjlParameters weights) throws IOException {
    Files.createDirectories(dir);
    AtomicFiles.write(dir, WEIGHTS, weights::save);
    AtomicFiles.write(
        dir, CARD, out -> out.write(GSON.toJson(this).getBytes(StandardCharsets.UTF_8)));
  }

  public static TrainedModel read(Path dir) throws IOException {
    Path card = dir.resolve(CARD);
    if (!Files.isRegularFile(card)) {
      throw new IOException("no trained model in " + dir + " (" + CARD + " missing)");
    }
    try {
      return GSON.fromJson(Files.readString(card, StandardCharsets.UTF_8), TrainedModel.class);
    } catch (RuntimeException e) {
      throw new IOException(card + ": " + e.getMessage(), e);
    }
  }

  /** The saved weights, in a child of {@code manager}. */
  public DjlParameters loadWeights(Path dir, NDManager manager) throws IOException {
    try (InputStream in = Files.newInputStream(dir.resolve(WEIGHTS))) {
      return DjlParameters.load(net(), manager, in);
    }
  }
}
