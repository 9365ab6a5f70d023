package io.piddm.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.edm.Edm;
import io.piddm.diffusion.net.OutputConstraint;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.diffusion.train.TrainSettings;
import io.piddm.diffusion.train.Trainer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training process killed with SIGKILL at an arbitrary moment (possibly mid-checkpoint) resumes
 * from its last whole checkpoint and ends with the same weights, bit for bit, as a run that was
 * never interrupted.
 */
class ResumeAfterKillTest {

  static final long STEPS = 60;
  static final long EVERY = 5;
  static final Shape SAMPLE = new Shape(2, TeacherOverfitTest.SIZE, TeacherOverfitTest.SIZE);

  static TrainSettings settings(Path dir) {
    return new TrainSettings(4, STEPS, 1e-3, 2, 1.0, 0.9, 5, EVERY, dir);
  }

  /** The child process: trains, slowing down after step 10 so the parent can kill it mid-run. */
  public static void main(String[] args) throws Exception {
    Edm edm = new Edm(new UNet(UNetSpec.tiny(2)), OutputConstraint.none());
    try (Trainer trainer =
        Trainer.teacher(
            edm, settings(Path.of(args[0])), TeacherOverfitTest.trainingSet(), SAMPLE)) {
      trainer.train(
          (step, total, loss, rate, eta, skipped) -> {
            if (step >= 10) {
              try {
                Thread.sleep(40);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          });
    }
  }

  @Test
  void aKilledRunResumesToTheSameWeights(@TempDir Path dir) throws Exception {
    Path killed = dir.resolve("killed");
    ProcessBuilder builder =
        new ProcessBuilder(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Dai.djl.offline=true",
                    "-Dai.djl.pytorch.num_threads=1",
                    "-Dai.djl.pytorch.num_interop_threads=1",
                    "-cp",
                    System.getProperty("java.class.path"),
                    ResumeAfterKillTest.class.getName(),
                    killed.toString()))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.log").toFile());
    // One OpenMP thread as well as one PyTorch thread: reductions split across threads make the
    // float sums depend on timing, and Adam turns such differences into visible weight changes.
    builder.environment().put("OMP_NUM_THREADS", "1");
    builder.environment().put("MKL_NUM_THREADS", "1");
    Process child = builder.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    long stepAtKill = -1;
    while (System.nanoTime() < deadline && child.isAlive()) {
      long step = checkpointStep(killed);
      if (step >= 15) {
        child.destroyForcibly(); // SIGKILL: no shutdown hooks, no flushing
        child.waitFor();
        stepAtKill = step;
        break;
      }
      Thread.sleep(20);
    }
    assertThat(stepAtKill)
        .as("child killed mid-run (log: %s)", Files.readString(dir.resolve("child.log")))
        .isBetween(15L, STEPS - 1);

    Edm edm = new Edm(new UNet(UNetSpec.tiny(2)), OutputConstraint.none());
    float[] data = TeacherOverfitTest.trainingSet();
    try (Trainer straight = Trainer.teacher(edm, settings(dir.resolve("straight")), data, SAMPLE);
        Trainer resumed = Trainer.teacher(edm, settings(killed), data, SAMPLE)) {
      long resumedFrom = resumed.step();
      assertThat(resumedFrom).isGreaterThanOrEqualTo(stepAtKill).isLessThan(STEPS);
      straight.train((s, t, l, r, e, k) -> {});
      resumed.train((s, t, l, r, e, k) -> {});
      System.out.printf(
          "killed at checkpoint %d, resumed from %d; skipped steps: straight %d, resumed %d%n",
          stepAtKill, resumedFrom, straight.skippedSteps(), resumed.skippedSteps());
      CheckpointTest.assertSameBits(straight.parameters(), resumed.parameters());
      CheckpointTest.assertSameBits(straight.ema(), resumed.ema());
    }
  }

  private static long checkpointStep(Path dir) {
    Path state = dir.resolve("state.properties");
    if (!Files.isRegularFile(state)) {
      return -1;
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(state)) {
      p.load(in);
      return Long.parseLong(p.getProperty("step", "-1"));
    } catch (Exception e) {
      return -1;
    }
  }
}
