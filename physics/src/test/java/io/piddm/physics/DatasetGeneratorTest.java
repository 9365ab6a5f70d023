package io.piddm.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.piddm.physics.dataset.DatasetGenerator;
import io.piddm.physics.dataset.DatasetSidecar;
import io.piddm.physics.dataset.DatasetSpec;
import io.piddm.physics.dataset.DatasetWriter;
import io.piddm.physics.pde.EllipticGenerator;
import io.piddm.physics.pde.JointField;
import io.piddm.physics.pde.Pde;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.jetbrains.bio.npy.NpyArray;
import org.jetbrains.bio.npy.NpyFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetGeneratorTest {

  private static final DatasetSpec SPEC = new DatasetSpec(Pde.DARCY, 16, 70, 3);

  @Test
  void writesFieldsAndASidecarThatDescribeEachOther(@TempDir Path dir) throws Exception {
    AtomicLong done = new AtomicLong();
    DatasetSidecar sidecar = new DatasetGenerator(SPEC, 2).generate(dir, done::addAndGet);

    assertThat(done.get()).isEqualTo(70);
    NpyArray fields = NpyFile.read(dir.resolve(DatasetGenerator.FIELDS), Integer.MAX_VALUE);
    assertThat(fields.getShape()).containsExactly(70, 2, 16, 16);
    assertThat(DatasetSidecar.read(dir)).isEqualTo(sidecar);
    assertThat(sidecar.sha256())
        .isEqualTo(DatasetWriter.sha256(dir.resolve(DatasetGenerator.FIELDS)));
    assertThat(sidecar.channels()).containsExactly("a", "u");
    assertThat(sidecar.residualSpecs()).contains("darcy/consistent-fv5-harmonic");
    assertThat(sidecar.normalization().get(0).mean()).isBetween(3.0, 12.0);
    assertThat(sidecar.normalization().get(1).std()).isPositive();
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(DatasetGenerator.FIELDS, DatasetGenerator.SIDECAR);
    }

    // Sample 65 (second chunk) is exactly what the generator makes for (seed 3, index 65).
    JointField expected = EllipticGenerator.standard(Pde.DARCY, SPEC.grid()).sample(3, 65);
    float[] data = fields.asFloatArray();
    int offset = 65 * SPEC.sampleLength();
    for (int k = 0; k < 256; k++) {
      assertThat(data[offset + k]).isEqualTo((float) expected.channels().get(0).values()[k]);
      assertThat(data[offset + 256 + k]).isEqualTo((float) expected.channels().get(1).values()[k]);
    }
  }

  @Test
  void theSameSeedGivesTheSameBytesWhateverTheThreadCount(@TempDir Path dir) throws Exception {
    String one = new DatasetGenerator(SPEC, 1).generate(dir.resolve("one"), n -> {}).sha256();
    String two = new DatasetGenerator(SPEC, 2).generate(dir.resolve("two"), n -> {}).sha256();
    assertThat(two).isEqualTo(one);
    String other =
        new DatasetGenerator(new DatasetSpec(Pde.DARCY, 16, 70, 4), 2)
            .generate(dir.resolve("other"), n -> {})
            .sha256();
    assertThat(other).isNotEqualTo(one);
  }

  @Test
  void anInterruptedRunLeavesNoFinalFileAndResumesToTheSameBytes(@TempDir Path dir)
      throws Exception {
    AtomicLong seen = new AtomicLong();
    assertThatThrownBy(
            () ->
                new DatasetGenerator(SPEC, 1)
                    .generate(
                        dir.resolve("run"),
                        n -> {
                          if (seen.addAndGet(n) > 64) {
                            throw new IllegalStateException("killed");
                          }
                        }))
        .hasRootCauseMessage("killed");
    assertThat(dir.resolve("run").resolve(DatasetGenerator.FIELDS)).doesNotExist();
    assertThat(dir.resolve("run").resolve(DatasetGenerator.SIDECAR)).doesNotExist();
    assertThat(dir.resolve("run/.partial/chunk-000000.npy")).exists();

    AtomicLong resumed = new AtomicLong();
    String sha =
        new DatasetGenerator(SPEC, 2).generate(dir.resolve("run"), resumed::addAndGet).sha256();
    String fresh = new DatasetGenerator(SPEC, 2).generate(dir.resolve("fresh"), n -> {}).sha256();
    assertThat(sha).isEqualTo(fresh);
    assertThat(resumed.get()).isEqualTo(70); // 64 counted from the finished chunk, 6 generated
  }

  @Test
  void badSpecsNameTheParameter() {
    assertThatThrownBy(() -> new DatasetSpec(Pde.DARCY, 16, 0, 1)).hasMessageContaining("count");
    assertThatThrownBy(() -> new DatasetSpec(Pde.DARCY, 4, 10, 1))
        .hasMessageContaining("resolution");
    assertThatThrownBy(() -> new DatasetSpec(null, 16, 10, 1)).hasMessageContaining("pde");
  }
}
