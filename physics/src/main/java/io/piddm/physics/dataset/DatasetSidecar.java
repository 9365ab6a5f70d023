package io.piddm.physics.dataset;

import com.google.gson.Gson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The JSON sidecar of a dataset ({@code dataset.json}): enough to know what the fields are, how
 * they were made, how to normalise them, and whether {@code fields.npy} is intact.
 */
public record DatasetSidecar(
    String format,
    String pde,
    int resolution,
    int count,
    long seed,
    List<String> channels,
    List<Integer> shape,
    String dtype,
    double spacing,
    String source,
    Map<String, Object> generator,
    List<String> residualSpecs,
    List<Normalization> normalization,
    String sha256,
    String createdAt) {

  /** network value = (physical − mean) / std. */
  public record Normalization(String channel, double mean, double std) {}

  public static DatasetSidecar read(Path directory) throws IOException {
    String json =
        Files.readString(directory.resolve(DatasetWriter.SIDECAR), StandardCharsets.UTF_8);
    return new Gson().fromJson(json, DatasetSidecar.class);
  }
}
