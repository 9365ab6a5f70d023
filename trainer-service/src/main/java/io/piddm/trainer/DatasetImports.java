package io.piddm.trainer;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.piddm.physics.dataset.MatImporter;
import io.piddm.physics.pde.Pde;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where a RunSpec's {@code dataset.import_path} may point: only files inside one configured import
 * folder ({@code piddm.trainer.import-dir}, default {@code <data-dir>/imports}; {@code off} turns
 * imports off). Anyone holding the trainer's token can submit a path, so the trainer never opens a
 * file outside that folder: {@code ..} and symbolic links are resolved before the check, and the
 * file is probed as a dataset at submission, so a refused path persists no run.
 */
final class DatasetImports {

  static final String OFF = "off";
  static final String FIELD = "dataset.import_path";

  /** A file accepted for import: its real path and what it holds. */
  record Accepted(Path file, MatImporter.Shape shape) {}

  /** The real path of the import folder; null when imports are off. */
  private final Path folder;

  private DatasetImports(Path folder) {
    this.folder = folder;
  }

  static DatasetImports off() {
    return new DatasetImports(null);
  }

  /**
   * The configured folder (relative to {@code dataDir} when relative), created owner-only when
   * missing; {@code off} turns imports off.
   */
  static DatasetImports of(Optional<String> configured, Path dataDir) throws IOException {
    String value = configured.map(String::trim).orElse("imports");
    if (value.equalsIgnoreCase(OFF)) {
      return off();
    }
    Path folder = dataDir.resolve(value).toAbsolutePath().normalize();
    io.piddm.service.PrivateFiles.createDirectories(folder);
    return new DatasetImports(folder.toRealPath());
  }

  /** The folder imports are read from, or empty when they are off. */
  Optional<Path> folder() {
    return Optional.ofNullable(folder);
  }

  /**
   * The file {@code requested} names (relative to the import folder, or absolute inside it),
   * checked to be a readable dataset of {@code pde} the importer understands.
   *
   * @throws StatusRuntimeException PERMISSION_DENIED (imports off, outside the folder, unreadable),
   *     NOT_FOUND (no such file) or INVALID_ARGUMENT (not a file, not a dataset), naming the reason
   */
  Accepted accept(String requested, Pde pde) {
    if (folder == null) {
      throw status(
          Status.PERMISSION_DENIED,
          "imports are off on this trainer (piddm.trainer.import-dir=" + OFF + ")");
    }
    Path candidate;
    try {
      Path given = Path.of(requested);
      candidate = (given.isAbsolute() ? given : folder.resolve(given)).normalize();
    } catch (InvalidPathException e) {
      throw status(Status.INVALID_ARGUMENT, "not a valid path: " + e.getMessage());
    }
    if (!candidate.startsWith(folder)) {
      throw status(
          Status.PERMISSION_DENIED,
          requested + " is outside this trainer's import folder " + folder);
    }
    if (!Files.exists(candidate)) {
      throw status(
          Status.NOT_FOUND,
          "no file "
              + folder.relativize(candidate)
              + " in this trainer's import folder "
              + folder
              + " (the path is read by the trainer, not the client)");
    }
    Path real;
    try {
      real = candidate.toRealPath();
    } catch (IOException e) {
      throw status(Status.PERMISSION_DENIED, "cannot resolve " + requested + ": " + e);
    }
    if (!real.startsWith(folder)) {
      throw status(
          Status.PERMISSION_DENIED,
          requested + " leads outside this trainer's import folder " + folder + " (a link)");
    }
    if (!Files.isRegularFile(real)) {
      throw status(Status.INVALID_ARGUMENT, requested + " is not a file");
    }
    if (!Files.isReadable(real)) {
      throw status(Status.PERMISSION_DENIED, requested + " is not readable by the trainer");
    }
    try {
      return new Accepted(real, MatImporter.probe(real, pde, Map.of(), MatImporter.Layout.MATLAB));
    } catch (IllegalArgumentException | IOException e) {
      throw status(Status.INVALID_ARGUMENT, "not a dataset the importer reads: " + e.getMessage());
    }
  }

  private static StatusRuntimeException status(Status status, String reason) {
    return status.withDescription(FIELD + ": " + reason).asRuntimeException();
  }
}
