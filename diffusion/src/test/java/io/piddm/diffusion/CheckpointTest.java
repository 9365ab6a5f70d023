package io.piddm.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.djl.DjlParameters;
import io.piddm.diffusion.edm.Edm;
import io.piddm.diffusion.net.OutputConstraint;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.diffusion.train.TrainSettings;
import io.piddm.diffusion.train.Trainer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints round-trip bit for bit, and a resumed run ends where an uninterrupted one does. */
class CheckpointTest {

  private static final Shape SAMPLE = new Shape(2, 16, 16);

  private static TrainSettings settings(long steps, Path dir, long every) {
    return new TrainSettings(4, steps, 1e-3, 2, 1.0, 0.9, 5, every, dir);
  }

  static void assertSameBits(DjlParameters a, DjlParameters b) {
    for (Map.Entry<String, NDArray> entry : a.arrays().entrySet()) {
      assertThat(b.get(entry.getKey()).toFloatArray())
          .as(entry.getKey())
          .containsExactly(entry.getValue().toFloatArray());
    }
  }

  @Test
  void aResumedRunReachesTheSameWeightsAsAnUninterruptedOne(@TempDir Path dir) throws Exception {
    float[] data = TeacherOverfitTest.trainingSet();
    Edm edm = new Edm(new UNet(UNetSpec.tiny(2)), OutputConstraint.none());
    try (Trainer straight = Trainer.teacher(edm, settings(6, dir.resolve("a"), 0), data, SAMPLE)) {
      straight.train((s, t, l, r, e, k) -> {});

      try (Trainer first = Trainer.teacher(edm, settings(3, dir.resolve("b"), 3), data, SAMPLE)) {
        first.train((s, t, l, r, e, k) -> {});
      }
      try (Trainer resumed = Trainer.teacher(edm, settings(6, dir.resolve("b"), 3), data, SAMPLE)) {
        assertThat(resumed.step()).isEqualTo(3);
        resumed.train((s, t, l, r, e, k) -> {});
        assertThat(resumed.step()).isEqualTo(6);
        assertSameBits(straight.parameters(), resumed.parameters());
        assertSameBits(straight.ema(), resumed.ema());
      }
    }
  }

  @Test
  void savedWeightsGiveBitIdenticalOutputs(@TempDir Path dir) throws Exception {
    float[] data = TeacherOverfitTest.trainingSet();
    Edm edm = new Edm(new UNet(UNetSpec.tiny(2)), OutputConstraint.none());
    try (Trainer trainer = Trainer.teacher(edm, settings(2, dir, 0), data, SAMPLE);
        NDManager manager = NDManager.newBaseManager()) {
      trainer.train((s, t, l, r, e, k) -> {});
      DjlParameters loaded;
      try (InputStream in = Files.newInputStream(dir.resolve("step-2/ema.ndlist"))) {
        loaded = DjlParameters.load(edm.net(), manager, in);
      }
      NDArray x =
          manager.create(java.util.Arrays.copyOf(data, 2 * 2 * 16 * 16), new Shape(2, 2, 16, 16));
      NDArray sigma = manager.create(new float[] {0.3f, 5f});
      float[] before = edm.denoise(trainer.ema()::get, x, sigma).toFloatArray();
      float[] after = edm.denoise(loaded::get, x, sigma).toFloatArray();
      assertThat(after).containsExactly(before);
    }
  }

  @Test
  void presetsHaveTheDocumentedSizes() {
    long p32 = new UNet(UNetSpec.preset32(2)).parameterCount();
    long p64 = new UNet(UNetSpec.preset64(2)).parameterCount();
    System.out.printf("parameters: preset32 %d, preset64 %d%n", p32, p64);
    assertThat(p32).isBetween(400_000L, 700_000L);
    assertThat(p64).isBetween(1_600_000L, 2_600_000L);
  }
}
