package io.piddm.export;

import ai.djl.ndarray.NDManager;
import io.piddm.diffusion.djl.DjlParameters;
import io.piddm.diffusion.model.TrainedModel;
import io.piddm.inference.OnnxSessions;
import io.piddm.inference.ReconstructionDefaults;
import io.piddm.physics.grid.Grid;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Exports a distilled student folder ({@link TrainedModel} of kind student) as {@code model.onnx}
 * and {@code reconstruct.onnx}, with the residual spec it was trained with and the reconstruction
 * settings chosen for its PDE on the validation set ({@link ReconstructionDefaults#validated}) as
 * the sampler's defaults.
 */
public final class TrainedModelExport {

  /** Largest ONNX-vs-DJL difference accepted, relative to the largest output. */
  public static final double PARITY_TOLERANCE = 1e-4;

  private TrainedModelExport() {}

  /**
   * Exports the student in {@code studentDir} as {@code name}, {@code version} (the code version
   * that trained it, written into both graphs' metadata).
   */
  public static OnnxExporter.Exported export(
      Path studentDir, String name, String version, Path outputDir) throws IOException {
    TrainedModel model = TrainedModel.read(studentDir);
    if (!TrainedModel.STUDENT.equals(model.kind())) {
      throw new IllegalArgumentException(
          studentDir
              + " holds a "
              + model.kind()
              + "; only a distilled student is exported (run 'piddm distill' first)");
    }
    Map<String, float[]> weights = new LinkedHashMap<>();
    try (NDManager manager = NDManager.newBaseManager();
        DjlParameters parameters = model.loadWeights(studentDir, manager)) {
      parameters.arrays().forEach((key, array) -> weights.put(key, array.toFloatArray()));
    }
    return OnnxExporter.export(
        new OnnxExporter.ExportSpec(
            name,
            version,
            model.network(),
            weights,
            model.normalization().mean(),
            model.normalization().std(),
            model.residualSpec(),
            new Grid(model.resolution()),
            ReconstructionDefaults.validated(model.pdeKind())),
        outputDir);
  }

  /**
   * Runs the exported {@code model.onnx} with ONNX Runtime (CPU) and the student with DJL on the
   * same seeded ε (batch 2) and returns the largest absolute difference; fails when it exceeds
   * {@link #PARITY_TOLERANCE} of the largest output, so an export that does not reproduce the
   * trained network is caught before it is published.
   */
  public static double verify(Path studentDir, Path modelOnnx) throws IOException {
    TrainedModel model = TrainedModel.read(studentDir);
    int channels = model.network().channels();
    int size = model.resolution();
    long[] shape = {2, channels, size, size};
    float[] eps = new float[2 * channels * size * size];
    java.util.Random random = io.piddm.physics.random.Seeds.stream(0, 41, 0);
    for (int k = 0; k < eps.length; k++) {
      eps[k] = (float) random.nextGaussian();
    }
    float[] expected;
    try (NDManager manager = NDManager.newBaseManager();
        DjlParameters parameters = model.loadWeights(studentDir, manager)) {
      expected =
          model
              .student()
              .physical(
                  new io.piddm.diffusion.djl.DjlOps(),
                  parameters::get,
                  manager.create(eps, new ai.djl.ndarray.types.Shape(shape)),
                  model.normalization().std(),
                  model.normalization().mean())
              .toFloatArray();
    }
    try (OnnxSessions.Opened opened = OnnxSessions.open(modelOnnx, OnnxSessions.Provider.CPU, 1);
        ai.onnxruntime.OnnxTensor input =
            ai.onnxruntime.OnnxTensor.createTensor(
                ai.onnxruntime.OrtEnvironment.getEnvironment(),
                java.nio.FloatBuffer.wrap(eps),
                shape);
        ai.onnxruntime.OrtSession.Result result =
            opened.session().run(Map.of(OnnxExporter.EPS, input))) {
      float[] actual = ((ai.onnxruntime.OnnxTensor) result.get(0)).getFloatBuffer().array();
      double max = 0;
      double scale = 0;
      for (int k = 0; k < actual.length; k++) {
        max = Math.max(max, Math.abs(actual[k] - expected[k]));
        scale = Math.max(scale, Math.abs(expected[k]));
      }
      if (!(max <= PARITY_TOLERANCE * scale)) {
        throw new IOException(
            modelOnnx
                + " does not reproduce the trained student: max |Δx| "
                + max
                + " for outputs up to "
                + scale);
      }
      return max;
    } catch (ai.onnxruntime.OrtException e) {
      throw new IOException("ONNX Runtime could not run " + modelOnnx + ": " + e.getMessage(), e);
    }
  }
}
