package io.piddm.sampler;

import static org.assertj.core.api.Assertions.assertThat;

import io.piddm.inference.OnnxSessions;
import io.piddm.inference.StudentModel;
import io.piddm.proto.v1.ModelIdentity;
import io.piddm.proto.v1.ModelManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batched Generate gives every request the bytes it would get alone, never mixes model versions and
 * respects the batch size.
 */
class GenerateBatcherTest {

  static LoadedModel open(Path dir, long seed, long version) throws Exception {
    Files.createDirectories(dir);
    ExportedStudent.write(dir, seed);
    StudentModel student = StudentModel.open(dir, OnnxSessions.Provider.CPU, 1);
    return new LoadedModel(
        student,
        ModelIdentity.newBuilder().setVersion(version).build(),
        ModelManifest.getDefaultInstance(),
        Instant.now(),
        () -> {});
  }

  record Request(LoadedModel model, long seed, int count, CompletableFuture<float[]> result) {}

  @Test
  void batchedFieldsAreThoseOfEachRequestAloneAndVersionsNeverMix(@TempDir Path tmp)
      throws Exception {
    LoadedModel v1 = open(tmp.resolve("v1"), 5, 1);
    LoadedModel v2 = open(tmp.resolve("v2"), 6, 2);
    ConcurrentLinkedQueue<Integer> sizes = new ConcurrentLinkedQueue<>();
    List<Request> requests = new ArrayList<>();
    try (GenerateBatcher batcher =
        new GenerateBatcher(8, Duration.ofMillis(50), 1, sizes::add, nanos -> {})) {
      for (int i = 0; i < 40; i++) {
        LoadedModel model = i % 3 == 0 ? v2 : v1;
        int count = 1 + i % 3;
        requests.add(new Request(model, 100 + i, count, batcher.submit(model, 100 + i, count)));
      }
      for (Request r : requests) {
        float[] alone = r.model().student().generate(r.seed(), r.count());
        assertThat(r.result().get(60, TimeUnit.SECONDS))
            .as("seed %d from version %d", r.seed(), r.model().identity().getVersion())
            .containsExactly(alone);
      }
    } finally {
      v1.release();
      v2.release();
    }
    System.out.println("batch sizes: " + sizes);
    assertThat(sizes).allMatch(n -> n >= 1 && n <= 8);
    assertThat(sizes.stream().mapToInt(Integer::intValue).sum())
        .isEqualTo(requests.stream().mapToInt(Request::count).sum());
    assertThat(sizes).as("requests queued together were batched").anyMatch(n -> n > 3);
  }
}
