package io.piddm.pipeline;

import io.piddm.diffusion.model.TrainedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Uploads an exported student as a new registry version; the trainer service supplies one. */
public interface Publisher {

  Published publish(Request request) throws IOException, InterruptedException;

  /**
   * What to publish: the exported files, the student they came from (PDE, grid, normalisation), the
   * evaluation metrics and the lineage of the run.
   */
  record Request(
      String modelName,
      String alias,
      List<Path> files,
      TrainedModel student,
      Map<String, Double> metrics,
      Lineage lineage,
      Map<String, String> labels,
      String description) {}

  /** The version the registry assigned; {@code aliasError} is empty when the alias moved. */
  record Published(String modelName, long version, String alias, String aliasError) {}
}
