package io.piddm.sampler;

import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.export.OnnxExporter;
import io.piddm.inference.ReconstructionDefaults;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpecs;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Exports a tiny Darcy student (random weights, 16×16) with the real exporter before the service
 * boots, and points {@code piddm.sampler.model-dir} at it; small limits so the limit tests are
 * cheap.
 */
public class ExportedStudent implements QuarkusTestResourceLifecycleManager {

  static final int GRID = 16;
  static final int MAX_COUNT = 8;
  static final int MAX_STEPS = 500;

  @Override
  public Map<String, String> start() {
    try {
      Path dir = Files.createTempDirectory("piddm-sampler-test");
      write(dir, 5);
      return Map.of(
          "piddm.sampler.model-dir", dir.toString(),
          "piddm.sampler.provider", "cpu",
          "piddm.sampler.intra-op-threads", "1",
          "piddm.sampler.max-count", Integer.toString(MAX_COUNT),
          "piddm.sampler.max-steps", Integer.toString(MAX_STEPS),
          "piddm.sampler.max-ensemble", "4",
          "piddm.sampler.max-refinement-steps", "20");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A student folder with weights from {@code seed}, without reconstruction defaults. */
  static void write(Path dir, long seed) throws Exception {
    write(dir, seed, ReconstructionDefaults.none());
  }

  /** A student folder with weights from {@code seed} and the given reconstruction defaults. */
  static void write(Path dir, long seed, ReconstructionDefaults defaults) throws Exception {
    UNetSpec spec = UNetSpec.tiny(2);
    Map<String, float[]> weights = new UNet(spec).perturbedWeights(seed);
    OnnxExporter.export(
        new OnnxExporter.ExportSpec(
            "piddm-student",
            "0.0.0-dev",
            spec,
            weights,
            new double[] {7.5, 0.02},
            new double[] {1.0, 0.01},
            ResidualSpecs.consistent(Pde.DARCY),
            new Grid(GRID),
            defaults),
        dir);
  }

  @Override
  public void stop() {}
}
