package io.piddm.diffusion.train;

import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.edm.Edm;
import io.piddm.diffusion.edm.Normalization;
import io.piddm.diffusion.model.TrainedModel;
import io.piddm.diffusion.net.OutputConstraint;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.physics.dataset.DatasetSidecar;
import io.piddm.physics.pde.FieldConstraints;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpec;
import io.piddm.physics.residual.ResidualSpecs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jetbrains.bio.npy.NpyFile;

/**
 * Trains a teacher on a dataset folder ({@code fields.npy} + {@code dataset.json}) and saves it as
 * a {@link TrainedModel}: what the CLI and the trainer service run. Checkpoints go to {@code
 * out/checkpoint}, so the same command started again resumes a killed run.
 */
public final class TeacherTraining {

  private TeacherTraining() {}

  /** The preset for a resolution: 2 levels below 64², 3 from 64² up. */
  public static UNetSpec presetFor(int resolution, int channels) {
    return resolution >= 64 ? UNetSpec.preset64(channels) : UNetSpec.preset32(channels);
  }

  public static TrainedModel run(
      Path datasetDir,
      UNetSpec network,
      TrainSettings settings,
      Path outputDir,
      TrainingListener listener)
      throws IOException {
    DatasetSidecar sidecar = DatasetSidecar.read(datasetDir);
    Pde pde = Pde.parse(sidecar.pde());
    int size = sidecar.resolution();
    int channels = pde.channels().size();
    if (network.channels() != channels) {
      throw new IllegalArgumentException(
          "network has " + network.channels() + " channels, " + pde.id() + " has " + channels);
    }
    network.requireResolution(size);
    float[] data = NpyFile.read(datasetDir.resolve("fields.npy"), Integer.MAX_VALUE).asFloatArray();
    Normalization normalization = Normalization.forNetwork(sidecar);
    normalization.normaliseInPlace(data, size * size);
    TrainSettings withCheckpoints =
        settings.checkpointDirectory() != null
            ? settings
            : settings.withCheckpointDirectory(outputDir.resolve("checkpoint"));
    Edm edm =
        new Edm(
            new UNet(network),
            OutputConstraint.of(
                FieldConstraints.of(pde), normalization.mean(), normalization.std(), size));
    long started = System.nanoTime();
    try (Trainer trainer =
        Trainer.teacher(edm, withCheckpoints, data, new Shape(channels, size, size))) {
      trainer.train(
          new LossTrace(outputDir.resolve(LossTrace.FILE), LossTrace.EVERY, Map::of, listener));
      Map<String, Object> dataset = new LinkedHashMap<>();
      dataset.put("path", datasetDir.toAbsolutePath().toString());
      dataset.put("sha256", sidecar.sha256());
      dataset.put("seed", sidecar.seed());
      dataset.put("count", sidecar.count());
      dataset.put("generator", sidecar.generator());
      Map<String, Object> training = new LinkedHashMap<>(settings.describe());
      training.put("objective", "edm-teacher");
      // where a run chooses its residual spec: the teacher's samples are judged and guided with it
      // and its students are distilled with it
      ResidualSpec spec = ResidualSpecs.training(pde);
      training.put(TrainedModel.RESIDUAL_SPEC, spec.id());
      training.put(TrainedModel.RESIDUAL_SPEC_DEFINITION, spec.definition());
      training.put("skippedSteps", trainer.skippedSteps());
      training.put("seconds", (System.nanoTime() - started) / 1e9);
      TrainedModel model =
          new TrainedModel(
              TrainedModel.TEACHER, pde.id(), size, network, normalization, dataset, training);
      model.write(outputDir, trainer.ema());
      return model;
    }
  }
}
