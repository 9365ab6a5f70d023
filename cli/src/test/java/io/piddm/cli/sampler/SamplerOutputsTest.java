package io.piddm.cli.sampler;

import static org.assertj.core.api.Assertions.assertThat;

import io.piddm.api.sampler.Generated;
import io.piddm.api.sampler.Reconstructed;
import io.piddm.api.sampler.ServedModel;
import io.piddm.physics.grid.Field;
import io.piddm.physics.render.FieldRenderer;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.jetbrains.bio.npy.NpyArray;
import org.jetbrains.bio.npy.NpyFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SamplerOutputsTest {

  static final ServedModel MODEL =
      new ServedModel(
          "m", 1, "", "darcy", List.of("a", "u"), 8, 8, "darcy/consistent-fv5-harmonic");

  static float[] field(float offset) {
    float[] f = new float[MODEL.dim()];
    for (int k = 0; k < f.length; k++) {
      f[k] = offset + (k % 64 < 32 ? 3 : 12) * (k < 64 ? 1 : 0.001f * k);
    }
    return f;
  }

  static int panelHeight() {
    return FieldRenderer.heatmap(Field.zeros(8, 8), "x").getHeight();
  }

  static int panelWidth() {
    return FieldRenderer.heatmap(Field.zeros(8, 8), "x").getWidth();
  }

  @Test
  void samplesAreOneNpyAndASheetWithARowPerField(@TempDir Path dir) throws Exception {
    Generated g =
        new Generated(
            MODEL,
            1,
            new float[][] {field(0), field(1), field(2)},
            new double[] {1, 2, 3},
            new double[] {0.1, 0.2, 0.3},
            new double[] {0.01, 0.02, 0.03},
            1,
            1,
            2);
    List<Path> files = SamplerOutputs.writeSamples(dir, g);
    assertThat(files).containsExactly(dir.resolve("samples.npy"), dir.resolve("samples.png"));
    NpyArray npy = NpyFile.read(files.get(0), Integer.MAX_VALUE);
    assertThat(npy.getShape()).containsExactly(3, 2, 8, 8);
    assertThat(npy.asFloatArray()).containsExactly(g.flat());
    BufferedImage png = ImageIO.read(files.get(1).toFile());
    assertThat(png.getHeight()).isEqualTo(3 * panelHeight());
    assertThat(png.getWidth()).isEqualTo(2 * panelWidth());
    try (var list = Files.list(dir)) {
      assertThat(list.filter(p -> p.toString().endsWith(".tmp"))).isEmpty();
    }
  }

  @Test
  void theSheetStopsAtSixteenRows() {
    float[][] many = new float[20][];
    for (int i = 0; i < many.length; i++) {
      many[i] = field(i);
    }
    Generated g =
        new Generated(MODEL, 1, many, new double[20], new double[20], new double[20], 1, 1, 1);
    assertThat(SamplerOutputs.samplesSheet(g).getHeight()).isEqualTo(16 * panelHeight());
  }

  @Test
  void aReconstructionHasRowsObservationReconstructionError(@TempDir Path dir) throws Exception {
    float[] truth = field(0);
    float[] mean = field(0.5f);
    Reconstructed r =
        new Reconstructed(
            MODEL,
            mean,
            new float[MODEL.dim()],
            new float[][] {mean, truth},
            1,
            0.5,
            0.1,
            new Reconstructed.Settings(10, 0.05, 1, 1e-3, 0),
            1,
            2);
    float[] mask = new float[MODEL.dim()];
    mask[70] = 1;
    Observations.Planes obs = new Observations.Planes(truth.clone(), 2, 8, 8);
    List<Path> files = SamplerOutputs.writeReconstruction(dir, r, obs, mask, truth);
    assertThat(files)
        .extracting(p -> p.getFileName().toString())
        .containsExactly("reconstruction.npy", "spread.npy", "members.npy", "reconstruction.png");
    assertThat(NpyFile.read(dir.resolve("reconstruction.npy"), 1 << 20).asFloatArray())
        .containsExactly(mean);
    assertThat(NpyFile.read(dir.resolve("members.npy"), 1 << 20).getShape())
        .containsExactly(2, 2, 8, 8);
    BufferedImage png = ImageIO.read(dir.resolve("reconstruction.png").toFile());
    assertThat(png.getHeight()).isEqualTo(3 * panelHeight());
    assertThat(png.getWidth()).isEqualTo(2 * panelWidth());
    // without a reference the error row is the PDE residual
    assertThat(SamplerOutputs.reconstructionSheet(r, obs, mask, null).getHeight())
        .isBetween(3 * panelHeight(), 4 * panelHeight() - 1);

    var errors = SamplerOutputs.compare(MODEL, mean, truth, new boolean[] {false, true});
    assertThat(errors).extracting(SamplerOutputs.ChannelError::channel).containsExactly("a", "u");
    assertThat(errors.get(0).relativeL2()).isGreaterThan(0);
    assertThat(errors.get(0).errorRate()).isZero(); // 3.5 / 12.5 stay on their side of 7.5
    assertThat(errors.get(1).errorRate()).isNull();
    assertThat(SamplerOutputs.compare(MODEL, truth, truth, new boolean[2]).get(1).relativeL2())
        .isZero();
  }

  @Test
  void npyFilesOfOtherTypesAreReadAsFloats(@TempDir Path dir) throws Exception {
    Path doubles = dir.resolve("d.npy");
    NpyFile.write(doubles, new double[] {1.5, -2, 3}, new int[] {3});
    NpyFields.Array d = NpyFields.read(doubles);
    assertThat(d.data()).containsExactly(1.5f, -2f, 3f);
    assertThat(d.shape()).containsExactly(3);
    Path bools = dir.resolve("b.npy");
    NpyFile.write(bools, new boolean[] {true, false, true, true}, new int[] {2, 2});
    assertThat(NpyFields.read(bools).data()).containsExactly(1f, 0f, 1f, 1f);
    Path text = dir.resolve("t.npy");
    Files.writeString(text, "not numpy");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> NpyFields.read(text))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("t.npy");
  }

  @Test
  void relativePdeErrorIsComputedForAKnownPde() {
    float[] f = field(0);
    assertThat(MODEL.pdeError(f, 0)).isPresent();
    assertThat(MODEL.pdeError(f, 0).get().relative()).isPositive();
    ServedModel unknown = new ServedModel("m", 1, "", "", List.of("a", "u"), 8, 8, "");
    assertThat(unknown.pdeError(f, 0)).isEmpty();
  }
}
