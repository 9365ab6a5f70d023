package io.piddm.physics.dataset;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.piddm.physics.residual.ResidualSpec;
import io.piddm.physics.residual.ResidualSpecs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.jetbrains.bio.npy.NpyFile;

/**
 * Writes the final files of a dataset from its samples, generated or imported: {@code fields.npy}
 * (float32, N×C×S×S) and {@code dataset.json} with per-channel normalisation statistics and the
 * sha256 of fields.npy. Both appear under their final names only by rename.
 */
public final class DatasetWriter {

  public static final String FIELDS = "fields.npy";
  public static final String SIDECAR = "dataset.json";
  public static final String FORMAT = "piddm-dataset/1";

  private DatasetWriter() {}

  /** {@code data} holds spec.count() samples laid out as [C, S, S] each. */
  public static DatasetSidecar write(
      Path directory, DatasetSpec spec, String source, Map<String, Object> generator, float[] data)
      throws IOException {
    int length = spec.sampleLength();
    if (data.length != (long) spec.count() * length) {
      throw new IllegalArgumentException(
          "data: expected "
              + spec.count()
              + " samples of "
              + length
              + " floats, got "
              + data.length
              + " floats");
    }
    Files.createDirectories(directory);
    ChannelStatistics statistics = new ChannelStatistics(spec.channels());
    int channelLength = spec.resolution() * spec.resolution();
    for (int n = 0; n < spec.count(); n++) {
      statistics.add(data, n * length, channelLength);
    }
    Path temporary = directory.resolve(FIELDS + ".tmp");
    NpyFile.write(
        temporary,
        data,
        new int[] {spec.count(), spec.channels(), spec.resolution(), spec.resolution()});
    String sha256 = sha256(temporary);
    Files.move(
        temporary,
        directory.resolve(FIELDS),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);

    List<DatasetSidecar.Normalization> normalization = new ArrayList<>();
    for (int c = 0; c < spec.channels(); c++) {
      normalization.add(
          new DatasetSidecar.Normalization(
              spec.pde().channels().get(c), statistics.mean(c), statistics.std(c)));
    }
    DatasetSidecar sidecar =
        new DatasetSidecar(
            FORMAT,
            spec.pde().id(),
            spec.resolution(),
            spec.count(),
            spec.seed(),
            spec.pde().channels(),
            List.of(spec.count(), spec.channels(), spec.resolution(), spec.resolution()),
            "float32",
            spec.grid().spacing(),
            source,
            generator,
            ResidualSpecs.forPde(spec.pde()).stream().map(ResidualSpec::id).toList(),
            normalization,
            sha256,
            Instant.now().toString());
    writeSidecar(directory, sidecar);
    return sidecar;
  }

  /** Writes {@code dataset.json} by rename. */
  public static void writeSidecar(Path directory, DatasetSidecar sidecar) throws IOException {
    Gson gson = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
    Path temporary = directory.resolve(SIDECAR + ".tmp");
    Files.writeString(temporary, gson.toJson(sidecar), StandardCharsets.UTF_8);
    Files.move(
        temporary,
        directory.resolve(SIDECAR),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  /** Lower-case hex SHA-256 of a file, streamed. */
  public static String sha256(Path file) throws IOException {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
        in.transferTo(java.io.OutputStream.nullOutputStream());
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
