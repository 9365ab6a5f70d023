package io.piddm.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.edm.Edm;
import io.piddm.diffusion.edm.GuidedSampler;
import io.piddm.diffusion.edm.HeunSampler;
import io.piddm.diffusion.edm.Normalization;
import io.piddm.diffusion.net.OutputConstraint;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.diffusion.train.TrainSettings;
import io.piddm.diffusion.train.Trainer;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpecs;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Observation guidance pulls samples toward what is observed; residual guidance lowers R. */
class GuidedSamplerTest {

  @Test
  void guidanceMovesSamplesTowardTheObservations() throws Exception {
    int size = TeacherOverfitTest.SIZE;
    float[] data = TeacherOverfitTest.trainingSet();
    Edm edm = new Edm(new UNet(UNetSpec.tiny(2)), OutputConstraint.none());
    TrainSettings settings = new TrainSettings(8, 400, 5e-3, 50, 1.0, 0.95, 1, 0, null);
    int length = 2 * size * size;
    int plane = size * size;
    try (Trainer trainer = Trainer.teacher(edm, settings, data, new Shape(2, size, size));
        NDManager manager = NDManager.newBaseManager()) {
      trainer.train((s, t, l, r, e, k) -> {});
      // Observe all of channel a of training field 5.
      float[] target = java.util.Arrays.copyOfRange(data, 5 * length, 6 * length);
      float[] maskValues = new float[length];
      java.util.Arrays.fill(maskValues, 0, plane, 1f);
      NDArray observed = manager.create(target, new Shape(1, 2, size, size));
      NDArray mask = manager.create(maskValues, new Shape(1, 2, size, size));
      java.util.Random random = new java.util.Random(17);
      float[] eps = new float[length];
      for (int k = 0; k < length; k++) {
        eps[k] = (float) random.nextGaussian();
      }
      NDArray noise = manager.create(eps, new Shape(1, 2, size, size));
      float[] plain = new HeunSampler(edm, 18).sample(trainer.ema()::get, noise).toFloatArray();
      double zeta = Double.parseDouble(System.getProperty("guidance.zeta", "2"));
      Normalization normalization =
          new Normalization(List.of("a", "u"), new double[] {0, 0}, new double[] {1, 1});
      GuidedSampler guided =
          new GuidedSampler(
              edm,
              normalization,
              ResidualSpecs.consistent(Pde.POISSON),
              new Grid(size),
              new GuidedSampler.Settings(18, zeta, 0));
      float[] steered = guided.sample(trainer.ema()::get, noise, observed, mask).toFloatArray();
      double before = TeacherOverfitTest.relativeL2(plain, 0, target, 0, plane);
      double after = TeacherOverfitTest.relativeL2(steered, 0, target, 0, plane);
      System.out.printf(
          "observed channel: relative L2 %.3f unguided, %.3f guided (zeta %.1f)%n",
          before, after, zeta);
      assertThat(after).isLessThan(0.5 * before);

      // Residual guidance alone lowers the consistent residual of the sample (physical units).
      var set = TeacherOverfitTest.trainingSetWithNormalization();
      var spec = ResidualSpecs.consistent(Pde.POISSON);
      double zetaPde = Double.parseDouble(System.getProperty("guidance.zetaPde", "0.02"));
      GuidedSampler physics =
          new GuidedSampler(
              edm,
              set.normalization(),
              spec,
              new Grid(size),
              new GuidedSampler.Settings(18, 0, zetaPde));
      NDArray unguided = manager.create(plain, new Shape(1, 2, size, size));
      NDArray pdeGuided = physics.sample(trainer.ema()::get, noise, observed, mask);
      double residualBefore = pdeError(spec, size, set.normalization().toPhysical(unguided));
      double residualAfter = pdeError(spec, size, set.normalization().toPhysical(pdeGuided));
      System.out.printf(
          "consistent residual: %.3e unguided, %.3e with residual guidance (zeta %.1e)%n",
          residualBefore, residualAfter, zetaPde);
      assertThat(residualAfter).isLessThan(0.5 * residualBefore);
    }
  }

  private static double pdeError(
      io.piddm.physics.residual.ResidualSpec spec, int size, NDArray physical) {
    float[] v = physical.toFloatArray();
    return io.piddm.physics.metrics.PdeError.of(
            spec,
            new Grid(size),
            io.piddm.diffusion.eval.SampleEvaluation.fields(v, 1, 2, size).get(0))
        .absolute();
  }
}
