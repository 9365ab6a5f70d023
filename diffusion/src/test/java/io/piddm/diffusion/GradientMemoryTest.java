package io.piddm.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.piddm.diffusion.distill.DistillSettings;
import io.piddm.diffusion.distill.PairBank;
import io.piddm.diffusion.distill.StudentObjective;
import io.piddm.diffusion.djl.DjlInverseLaplacian;
import io.piddm.diffusion.djl.DjlParameters;
import io.piddm.diffusion.edm.Edm;
import io.piddm.diffusion.edm.GuidedSampler;
import io.piddm.diffusion.edm.Normalization;
import io.piddm.diffusion.net.OutputConstraint;
import io.piddm.diffusion.net.Student;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.diffusion.train.TeacherObjective;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.random.Seeds;
import io.piddm.physics.residual.ResidualSpecs;
import io.piddm.physics.solve.DirichletLaplacian;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Every gradient the project differentiates is the same, bit for bit, when the JVM frees and reuses
 * native memory between the forward and the backward pass. This is the regression test for a
 * use-after-free: DJL's {@code x.mul(Number)} hands autograd a scalar over a direct buffer that it
 * frees at once, so a garbage collection before backward turned gradients into NaN or noise (seen
 * as training runs of one seed that diverged under load).
 */
class GradientMemoryTest {

  static final int SIZE = TeacherOverfitTest.SIZE;
  static final Shape SAMPLE = new Shape(2, SIZE, SIZE);

  /**
   * Direct buffers are freed by the JDK's Cleaner thread, and glibc keeps a thread's first few
   * frees of a size in that thread's own cache, out of reach of other threads. Filling that cache
   * first sends later frees (the ones under test) to the shared bins that {@link
   * #churnNativeMemory} then reallocates.
   */
  static void fillCleanerCache() throws InterruptedException {
    for (int k = 0; k < 200; k++) {
      ByteBuffer.allocateDirect(8);
    }
    System.gc();
    Thread.sleep(30);
  }

  /** Frees whatever the collector can, then fills freed small blocks with NaN. */
  static void churnNativeMemory() throws InterruptedException {
    System.gc();
    Thread.sleep(30); // the Cleaner thread releases direct buffers after the collection
    List<ByteBuffer> junk = new ArrayList<>();
    for (int k = 0; k < 20_000; k++) {
      ByteBuffer b = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
      b.putDouble(0, Double.NaN);
      junk.add(b);
    }
  }

  /** The gradients of {@code loss} with respect to {@code inputs}, optionally churning memory. */
  static Map<String, float[]> gradients(
      Map<String, NDArray> inputs, Function<NDManager, NDArray> loss, boolean churn)
      throws InterruptedException {
    Map<String, float[]> out = new LinkedHashMap<>();
    NDManager parent = inputs.values().iterator().next().getManager();
    try (NDManager scope = parent.newSubManager()) {
      if (churn) {
        fillCleanerCache();
      }
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray value = loss.apply(scope);
        if (churn) {
          churnNativeMemory();
        }
        collector.backward(value);
      }
      for (Map.Entry<String, NDArray> entry : inputs.entrySet()) {
        NDArray gradient = entry.getValue().getGradient();
        gradient.attach(scope);
        out.put(entry.getKey(), gradient.toFloatArray());
        gradient.set(new NDIndex("..."), 0f);
      }
    }
    return out;
  }

  static void assertSameUnderChurn(Map<String, NDArray> inputs, Function<NDManager, NDArray> loss)
      throws InterruptedException {
    Map<String, float[]> calm = gradients(inputs, loss, false);
    for (int attempt = 0; attempt < 3; attempt++) {
      Map<String, float[]> churned = gradients(inputs, loss, true);
      for (String name : calm.keySet()) {
        assertThat(churned.get(name)).as(name).containsExactly(calm.get(name));
      }
    }
  }

  static DjlParameters trainable(UNet net, NDManager manager) {
    DjlParameters parameters = DjlParameters.initialise(net, manager, 5);
    parameters.requireGradients(true);
    return parameters;
  }

  @Test
  void teacherLossGradient() throws Exception {
    Edm edm = new Edm(new UNet(UNetSpec.tiny(2)), OutputConstraint.none());
    TeacherObjective objective =
        new TeacherObjective(edm, TeacherOverfitTest.trainingSet(), SAMPLE, 4);
    try (NDManager manager = NDManager.newBaseManager()) {
      DjlParameters parameters = trainable(edm.net(), manager);
      assertSameUnderChurn(
          parameters.arrays(),
          scope -> objective.loss(parameters::get, scope, Seeds.stream(1, 11, 3)));
    }
  }

  @Test
  void physicsInformedStudentLossGradient() throws Exception {
    UNet net = new UNet(UNetSpec.tiny(2));
    Normalization normalization =
        new Normalization(List.of("a", "u"), new double[] {0.5, 0}, new double[] {2, 1});
    try (NDManager manager = NDManager.newBaseManager()) {
      DjlParameters teacher = DjlParameters.initialise(net, manager, 4);
      PairBank bank =
          new PairBank(
              new Edm(net, OutputConstraint.none()),
              teacher,
              new DistillSettings(4, 2, 0, 0, 1, 4),
              SAMPLE,
              8);
      bank.fill();
      StudentObjective objective =
          new StudentObjective(
              new Student(net, OutputConstraint.none()),
              bank,
              normalization,
              ResidualSpecs.training(Pde.DARCY),
              new Grid(SIZE),
              SAMPLE,
              4,
              new DistillSettings(4, 2, 0, 0, 0.5, 4, 0, 0, false, 1.0),
              1.0,
              new StudentObjective.SolutionTerm(
                  new DjlInverseLaplacian(DirichletLaplacian.interiorOf(new Grid(SIZE))), 1.0));
      DjlParameters parameters = trainable(net, manager);
      assertSameUnderChurn(
          parameters.arrays(),
          scope -> objective.loss(parameters::get, scope, Seeds.stream(1, 11, 3)));
    }
  }

  @Test
  void guidanceGradient() throws Exception {
    Edm edm = new Edm(new UNet(UNetSpec.tiny(2)), OutputConstraint.none());
    Normalization normalization =
        new Normalization(List.of("a", "u"), new double[] {0.5, 0}, new double[] {2, 1});
    GuidedSampler sampler =
        new GuidedSampler(
            edm,
            normalization,
            ResidualSpecs.consistent(Pde.DARCY),
            new Grid(SIZE),
            new GuidedSampler.Settings(4, 3, 0.01));
    try (NDManager manager = NDManager.newBaseManager()) {
      DjlParameters parameters = DjlParameters.initialise(edm.net(), manager, 6);
      java.util.Random random = Seeds.stream(2, 0, 0);
      float[] values = new float[Math.toIntExact(2 * SAMPLE.size())];
      for (int k = 0; k < values.length; k++) {
        values[k] = (float) random.nextGaussian();
      }
      Shape batch = new Shape(2).addAll(SAMPLE);
      NDArray x = manager.create(values, batch);
      x.setRequiresGradient(true);
      NDArray observed = manager.create(values, batch).mul(0.5f);
      NDArray mask = manager.ones(batch);
      assertSameUnderChurn(
          Map.of("x", x),
          scope ->
              sampler.guidanceLoss(
                  edm.denoise(parameters::get, x, scope.full(new Shape(2), 1.5f)), observed, mask));
    }
  }
}
