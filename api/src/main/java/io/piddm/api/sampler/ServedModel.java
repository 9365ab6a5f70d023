package io.piddm.api.sampler;

import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.metrics.PdeError;
import io.piddm.physics.metrics.SolutionConsistency;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ArrayEvaluator;
import io.piddm.physics.residual.ResidualSpec;
import io.piddm.physics.residual.ResidualSpecs;
import io.piddm.proto.v1.ModelIdentity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The model that answered a request: name, version, the alias it was reached through, its PDE
 * ({@code darcy}, … or empty when the sampler does not say), the field layout [C, H, W] and the
 * residual spec it was trained with (empty when the sampler does not say).
 */
public record ServedModel(
    String name,
    long version,
    String alias,
    String pde,
    List<String> channels,
    int height,
    int width,
    String residualSpecId) {

  public ServedModel {
    channels = List.copyOf(channels);
  }

  static ServedModel of(ModelIdentity id) {
    String pde =
        switch (id.getPde()) {
          case PDE_UNSPECIFIED, UNRECOGNIZED -> "";
          default -> id.getPde().name().substring("PDE_".length()).toLowerCase(Locale.ROOT);
        };
    return new ServedModel(
        id.getModelName(),
        id.getVersion(),
        id.getAlias(),
        pde,
        id.getGrid().getChannelsList(),
        id.getGrid().getHeight(),
        id.getGrid().getWidth(),
        id.getResidualSpecId());
  }

  /** Number of channels C. */
  public int channelCount() {
    return channels.size();
  }

  /** H·W: the length of one channel. */
  public int plane() {
    return height * width;
  }

  /** C·H·W: the length of one field. */
  public int dim() {
    return channelCount() * plane();
  }

  /** The index of channel {@code name}; IllegalArgumentException listing the channels if none. */
  public int channelIndex(String name) {
    int k = channels.indexOf(name);
    if (k < 0) {
      throw new IllegalArgumentException(
          "channel '" + name + "' is not one of the model's channels " + channels);
    }
    return k;
  }

  /** The PDE as the physics module knows it, when the sampler named one. */
  public Optional<Pde> physicsPde() {
    if (pde.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Pde.parse(pde));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * The PDE error of field {@code index} of {@code fields} (N × C × H × W) under the residual spec
   * the served student was trained with and the sampler judges with ({@link #residualSpecId}):
   * absolute is what the sampler reports (mean R²), relative is ‖R‖/‖f‖. Empty when the PDE or the
   * spec is unknown or the grid is not square.
   */
  public Optional<PdeError> pdeError(float[] fields, int index) {
    return spec().map(s -> PdeError.of(s, new Grid(height), channelsOf(fields, index)));
  }

  /** The served student's residual spec, when the sampler named one this build knows. */
  private Optional<ResidualSpec> spec() {
    if (judgeable().isEmpty() || residualSpecId.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(ResidualSpecs.byId(residualSpecId));
    } catch (IllegalArgumentException unknown) {
      return Optional.empty();
    }
  }

  /**
   * The relative L2 of field {@code index}'s u to the project's solver's solution for its a ({@link
   * SolutionConsistency}); empty where the PDE is unknown or not an elliptic boundary value problem
   * (Burgers).
   */
  public Optional<Double> solutionConsistency(float[] fields, int index) {
    return judgeable()
        .filter(SolutionConsistency::applies)
        .map(
            p ->
                SolutionConsistency.of(p, new Grid(height), List.of(channelsOf(fields, index)))
                    .perSample()[0]);
  }

  /**
   * |R| of field {@code index} on the nodes the residual spec evaluates (a map of where the field
   * breaks the PDE); empty when {@link #pdeError} is.
   */
  public Optional<Field> residualMap(float[] fields, int index) {
    return spec()
        .map(
            s -> {
              Field r = ArrayEvaluator.residual(s, new Grid(height), channelsOf(fields, index));
              double[] v = r.values().clone();
              for (int k = 0; k < v.length; k++) {
                v[k] = Math.abs(v[k]);
              }
              return new Field(r.rows(), r.cols(), v);
            });
  }

  private Optional<Pde> judgeable() {
    return height == width && height >= Grid.MIN_SIZE ? physicsPde() : Optional.empty();
  }

  private List<Field> channelsOf(float[] fields, int index) {
    List<Field> list = new ArrayList<>(channelCount());
    for (int c = 0; c < channelCount(); c++) {
      list.add(FieldLayout.channel(fields, index, c, channelCount(), height, width));
    }
    return list;
  }

  /** One line: {@code darcy32 v3 via production (darcy, 32×32, channels a, u)}. */
  public String describe() {
    return name
        + " v"
        + version
        + (alias.isEmpty() ? "" : " via " + alias)
        + " ("
        + (pde.isEmpty() ? "" : pde + ", ")
        + height
        + "×"
        + width
        + ", channels "
        + String.join(", ", channels)
        + ")";
  }

  /** For JSON output. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("version", version);
    m.put("alias", alias);
    m.put("pde", pde);
    m.put("channels", channels);
    m.put("height", height);
    m.put("width", width);
    return m;
  }
}
