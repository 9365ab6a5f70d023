package io.piddm.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.piddm.diffusion.net.UNetSpec;
import io.piddm.inference.OnnxSessions;
import io.piddm.inference.Reconstruction;
import io.piddm.inference.StudentModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** piddm-inference on a real exported student (lives here: inference must not depend on DJL). */
class StudentModelTest {

  @TempDir static Path dir;

  static StudentModel model;

  @BeforeAll
  static void open() throws Exception {
    OnnxExporter.export(Fixtures.export(UNetSpec.tiny(2), 16, 3), dir);
    model = StudentModel.open(dir, OnnxSessions.Provider.CPU, 1);
    model.warmUp();
  }

  @AfterAll
  static void close() throws Exception {
    model.close();
  }

  @Test
  void readsMetadata() {
    StudentModel.Metadata m = model.metadata();
    assertThat(m.channels()).containsExactly("a", "u");
    assertThat(m.gridSize()).isEqualTo(16);
    assertThat(m.mean()).containsExactly(Fixtures.MEAN);
    assertThat(m.std()).containsExactly(Fixtures.STD);
    assertThat(m.residualSpec()).isEqualTo(model.residual().id());
    assertThat(model.fieldShape()).containsExactly(2, 16, 16);
    assertThat(model.provider()).isEqualTo(OnnxSessions.Provider.CPU);
  }

  @Test
  void generationIsReproducibleWhateverTheBatch() throws Exception {
    float[] three = model.generate(42, 3);
    float[] again = model.generate(42, 3);
    float[] one = model.generate(42, 1);
    assertThat(again).containsExactly(three);
    assertThat(Arrays.copyOf(three, model.dim())).containsExactly(one);
    assertThat(model.generate(43, 1)).isNotEqualTo(one);
    for (float v : three) {
      assertThat(Float.isFinite(v)).isTrue();
    }
    assertThat(model.pdeError(three, 2).absolute()).isFinite().isPositive();
  }

  @Test
  void noiseIsStandardNormal() {
    float[] eps = model.noise(7, 8);
    double sum = 0;
    double sq = 0;
    for (float v : eps) {
      sum += v;
      sq += v * v;
    }
    assertThat(sum / eps.length).isBetween(-0.1, 0.1);
    assertThat(sq / eps.length).isBetween(0.9, 1.1);
  }

  @Test
  void adamLowersTheObservationLossAndReportsEveryStep() throws Exception {
    int d = model.dim();
    float[] truth = model.generate(1000, 1);
    float[] mask = new float[d];
    for (int k = 0; k < d; k += 3) {
      mask[k] = 1;
    }
    List<double[]> seen = new ArrayList<>();
    AtomicInteger fields = new AtomicInteger();
    Reconstruction.Result r =
        Reconstruction.run(
            model,
            truth,
            mask,
            5,
            2,
            new Reconstruction.Settings(30, 0.05, 1.0, 0.0, 0.0, 10),
            (member, step, loss, pde, obs, field) -> {
              seen.add(new double[] {member, step, loss, obs});
              if (field != null) {
                fields.incrementAndGet();
              }
            },
            () -> false);
    assertThat(seen).hasSize(2 * 31);
    assertThat(fields.get()).isEqualTo(2 * 3);
    double first = seen.get(0)[3];
    double last = seen.get(seen.size() - 2)[3];
    assertThat(last).isLessThan(first);
    assertThat(r.members()).hasNumberOfRows(2);
    assertThat(r.spread()).hasSize(d);
    assertThat(r.meanPdeError()).isFinite();
  }

  @Test
  void lbfgsEndsEachMemberOnItsBestPointAndBeatsAdamAtTheSameEvaluations() throws Exception {
    int d = model.dim();
    float[] truth = model.generate(1000, 1);
    float[] mask = new float[d];
    for (int k = 0; k < d; k += 3) {
      mask[k] = 1;
    }
    double[] finalLoss = new double[2];
    List<Double> reported = new ArrayList<>();
    Reconstruction.Settings lbfgs =
        new Reconstruction.Settings(30, 0.05, 1.0, 0.0, 0, 0, 0, Reconstruction.Optimizer.LBFGS);
    Reconstruction.Result r =
        Reconstruction.run(
            model,
            truth,
            mask,
            5,
            2,
            lbfgs,
            (member, step, loss, pde, obs, field) -> {
              if (member == 0) {
                reported.add(loss);
              }
              finalLoss[member] = loss;
            },
            () -> false);
    // the reported loss is each member's best so far: it never rises, and the result is that point
    for (int k = 1; k < reported.size(); k++) {
      assertThat(reported.get(k)).isLessThanOrEqualTo(reported.get(k - 1));
    }
    assertThat(reported).hasSize(31);
    for (int m = 0; m < 2; m++) {
      float[] again = model.reconstructStep(r.eps()[m], truth, mask, 1.0, 0.0, 0, 1).xMix();
      for (int k = 0; k < d; k++) {
        assertThat((double) again[k])
            .isCloseTo(r.members()[m][k], within(1e-5 + 1e-5 * Math.abs(again[k])));
      }
    }
    double[] adamLoss = new double[2];
    Reconstruction.run(
        model,
        truth,
        mask,
        5,
        2,
        new Reconstruction.Settings(30, 0.05, 1.0, 0.0, 0.0, 0),
        (member, step, loss, pde, obs, field) -> adamLoss[member] = loss,
        () -> false);
    assertThat(finalLoss[0]).isLessThan(adamLoss[0]);
    assertThat(finalLoss[1]).isLessThan(adamLoss[1]);
  }

  @Test
  void theReconstructionStepReturnsTheStudentsFieldSoNoSecondRunIsNeeded() throws Exception {
    float[] eps = model.noise(17, 2);
    float[] zeros = new float[2 * model.dim()];
    float[] decoded = model.reconstructStep(eps, zeros, zeros, 1, 0, 2).decoded();
    float[] direct = model.decode(eps, 2);
    assertThat(decoded).hasSameSizeAs(direct);
    for (int k = 0; k < direct.length; k++) {
      assertThat((double) decoded[k])
          .isCloseTo(direct[k], within(1e-5 + 1e-5 * Math.abs(direct[k])));
    }
  }

  @Test
  void piddmRefWithTypicalityRuns() throws Exception {
    int d = model.dim();
    Reconstruction.Result r =
        Reconstruction.run(
            model,
            new float[d],
            new float[d],
            9,
            1,
            new Reconstruction.Settings(5, 0.01, 0.0, 1.0, 1.0, 0),
            null,
            () -> false);
    assertThat(r.pdeError()[0]).isFinite();
    assertThat(r.observationError()[0]).isZero();
  }

  @Test
  void cancellationStopsAtTheNextStep() {
    int d = model.dim();
    AtomicInteger steps = new AtomicInteger();
    assertThatThrownBy(
            () ->
                Reconstruction.run(
                    model,
                    new float[d],
                    new float[d],
                    1,
                    1,
                    new Reconstruction.Settings(100, 0.01, 0.0, 1.0, 0.0, 0),
                    (m, s, l, p, o, f) -> steps.incrementAndGet(),
                    () -> steps.get() >= 3))
        .isInstanceOf(CancellationException.class);
    assertThat(steps.get()).isEqualTo(3);
  }

  @Test
  void aFolderWithoutTheGraphsIsRefused(@TempDir Path empty) throws Exception {
    Files.writeString(empty.resolve("model.onnx"), "x");
    assertThatThrownBy(() -> StudentModel.open(empty, OnnxSessions.Provider.CPU, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reconstruct.onnx");
  }
}
