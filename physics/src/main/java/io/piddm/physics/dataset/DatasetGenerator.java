package io.piddm.physics.dataset;

import io.piddm.physics.grid.Field;
import io.piddm.physics.pde.JointField;
import io.piddm.physics.pde.SampleGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;
import org.jetbrains.bio.npy.NpyArray;
import org.jetbrains.bio.npy.NpyFile;

/**
 * Writes a dataset: {@code fields.npy} (float32, N×C×S×S) and {@code dataset.json} (PDE,
 * parameters, seed, solver, normalisation statistics, sha256 of fields.npy).
 *
 * <p>Samples are made in chunks on every worker thread; each finished chunk is written under {@code
 * .partial/} by rename, so a killed run resumes from its finished chunks and never leaves a
 * half-written file under a final name. Sample k depends only on (seed, k), so the result is
 * byte-identical whatever the thread count or interruptions.
 */
public final class DatasetGenerator {

  public static final String FIELDS = DatasetWriter.FIELDS;
  public static final String SIDECAR = DatasetWriter.SIDECAR;
  static final int CHUNK = 64;

  private final DatasetSpec spec;
  private final int threads;

  public DatasetGenerator(DatasetSpec spec, int threads) {
    this.spec = spec;
    this.threads = Math.max(1, threads);
  }

  /** Generates into {@code directory}, reporting finished samples to {@code progress}. */
  public DatasetSidecar generate(Path directory, LongConsumer progress)
      throws IOException, InterruptedException {
    Files.createDirectories(directory);
    Path partial = directory.resolve(".partial");
    Files.createDirectories(partial);
    int chunks = (spec.count() + CHUNK - 1) / CHUNK;
    ThreadLocal<SampleGenerator> generators =
        ThreadLocal.withInitial(() -> SampleGenerator.standard(spec.pde(), spec.grid()));
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> pending = new ArrayList<>();
      for (int c = 0; c < chunks; c++) {
        int chunk = c;
        Path file = chunkFile(partial, chunk);
        int size = chunkSize(chunk);
        if (Files.isRegularFile(file)) {
          progress.accept(size);
          continue;
        }
        pending.add(
            pool.submit(
                () -> {
                  writeChunk(generators.get(), chunk, file, progress);
                  return null;
                }));
      }
      for (Future<?> future : pending) {
        future.get();
      }
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException("generating " + spec + " failed", e.getCause());
    } finally {
      pool.shutdownNow();
    }
    DatasetSidecar sidecar = assemble(directory, partial, chunks);
    for (int c = 0; c < chunks; c++) {
      Files.deleteIfExists(chunkFile(partial, c));
    }
    Files.deleteIfExists(partial);
    return sidecar;
  }

  private int chunkSize(int chunk) {
    return Math.min(CHUNK, spec.count() - chunk * CHUNK);
  }

  private static Path chunkFile(Path partial, int chunk) {
    return partial.resolve(String.format("chunk-%06d.npy", chunk));
  }

  private void writeChunk(SampleGenerator generator, int chunk, Path file, LongConsumer progress)
      throws IOException {
    int size = chunkSize(chunk);
    int length = spec.sampleLength();
    float[] data = new float[size * length];
    for (int n = 0; n < size; n++) {
      JointField sample = generator.sample(spec.seed(), (long) chunk * CHUNK + n);
      int offset = n * length;
      for (Field channel : sample.channels()) {
        for (double v : channel.values()) {
          data[offset++] = (float) v;
        }
      }
      progress.accept(1);
    }
    Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
    NpyFile.write(
        temporary, data, new int[] {size, spec.channels(), spec.resolution(), spec.resolution()});
    Files.move(
        temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private DatasetSidecar assemble(Path directory, Path partial, int chunks) throws IOException {
    int length = spec.sampleLength();
    float[] all = new float[Math.multiplyExact(spec.count(), length)];
    for (int c = 0; c < chunks; c++) {
      NpyArray chunk = NpyFile.read(chunkFile(partial, c), Integer.MAX_VALUE);
      float[] values = chunk.asFloatArray();
      if (values.length != chunkSize(c) * length) {
        throw new IOException(chunkFile(partial, c) + " has the wrong size; delete it and rerun");
      }
      System.arraycopy(values, 0, all, c * CHUNK * length, values.length);
    }
    Map<String, Object> generator =
        new LinkedHashMap<>(SampleGenerator.standard(spec.pde(), spec.grid()).description());
    return DatasetWriter.write(directory, spec, "generated", generator, all);
  }
}
