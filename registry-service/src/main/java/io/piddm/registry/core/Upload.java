package io.piddm.registry.core;

import io.piddm.proto.v1.CreateVersionHeader;
import io.piddm.proto.v1.FileChunk;
import io.piddm.proto.v1.FileEntry;
import io.piddm.proto.v1.ModelManifest;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One CreateVersion stream in progress: the header's declarations, and each file spooled to a local
 * staging folder while its sha256 is computed, so nothing reaches the bucket before every file has
 * been checked. {@link #discard} removes what was spooled.
 */
public final class Upload implements AutoCloseable {

  public static final int MAX_CHUNK = 4 * 1024 * 1024;

  private final Path directory;
  private final String model;
  private final ModelManifest manifest;
  private final String requestAlias;
  private final Map<String, Spool> files = new LinkedHashMap<>();
  private long bytes;

  Upload(Path directory, CreateVersionHeader header, long maxFileBytes) {
    this.model = Names.model(header.getModelName());
    if (!header.hasManifest()) {
      throw Errors.invalid("header.manifest is required");
    }
    ModelManifest declared = header.getManifest();
    if (!declared.getModelName().isEmpty() && !declared.getModelName().equals(model)) {
      throw Errors.invalid(
          "manifest.model_name \""
              + declared.getModelName()
              + "\" differs from header.model_name \""
              + model
              + "\"");
    }
    if (declared.getVersion() != 0) {
      throw Errors.invalid("manifest.version is assigned by the registry; leave it 0");
    }
    if (declared.getFilesCount() == 0) {
      throw Errors.invalid("manifest.files must declare at least one file");
    }
    this.requestAlias =
        header.getRequestAlias().isEmpty() ? "" : Names.alias(header.getRequestAlias());
    for (FileEntry file : declared.getFilesList()) {
      String name = Names.file(file.getName());
      if (file.getSizeBytes() < 0) {
        throw Errors.invalid("file " + name + ": size_bytes must not be negative");
      }
      if (file.getSizeBytes() > maxFileBytes) {
        throw Errors.exhausted(
            "file "
                + name
                + ": "
                + file.getSizeBytes()
                + " bytes is over the limit of "
                + maxFileBytes);
      }
      Names.sha256(name, file.getSha256());
      if (files.containsKey(name)) {
        throw Errors.invalid("file " + name + " is declared twice");
      }
      files.put(name, new Spool(file));
    }
    this.manifest = declared.toBuilder().setModelName(model).build();
    this.directory = directory;
  }

  String model() {
    return model;
  }

  ModelManifest declaredManifest() {
    return manifest;
  }

  String requestAlias() {
    return requestAlias;
  }

  public long bytes() {
    return bytes;
  }

  Map<String, Path> spooledFiles() {
    Map<String, Path> out = new LinkedHashMap<>();
    files.forEach((name, spool) -> out.put(name, spool.path));
    return out;
  }

  /** Appends a chunk; INVALID_ARGUMENT or RESOURCE_EXHAUSTED as the contract says. */
  public void accept(FileChunk chunk) {
    if (chunk.getData().size() > MAX_CHUNK) {
      throw Errors.exhausted(
          "chunk of " + chunk.getData().size() + " bytes is over the 4 MiB limit");
    }
    Spool spool = files.get(chunk.getFileName());
    if (spool == null) {
      throw Errors.invalid("chunk for undeclared file \"" + chunk.getFileName() + "\"");
    }
    spool.append(chunk);
    bytes += chunk.getData().size();
  }

  /** Checks every file's size and sha256 against its declaration. */
  void verify() {
    for (Spool spool : files.values()) {
      spool.finish();
    }
  }

  /** Removes everything spooled. Safe to call more than once. */
  public void discard() {
    for (Spool spool : files.values()) {
      spool.delete();
    }
  }

  @Override
  public void close() {
    discard();
  }

  private final class Spool {
    private final FileEntry declared;
    private final MessageDigest digest;
    private Path path;
    private OutputStream out;
    private long written;
    private boolean finished;

    Spool(FileEntry declared) {
      this.declared = declared;
      try {
        this.digest = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    void append(FileChunk chunk) {
      String name = declared.getName();
      if (finished) {
        throw Errors.invalid("file " + name + " is already complete");
      }
      if (chunk.getOffset() != written) {
        throw Errors.invalid(
            "file "
                + name
                + ": chunk offset "
                + chunk.getOffset()
                + " is not contiguous (expected "
                + written
                + ")");
      }
      long after = written + chunk.getData().size();
      if (after > declared.getSizeBytes()) {
        throw Errors.invalid(
            "file "
                + name
                + ": more bytes than the declared size_bytes "
                + declared.getSizeBytes());
      }
      try {
        open();
        for (var buffer : chunk.getData().asReadOnlyByteBufferList()) {
          var copy = buffer.duplicate();
          digest.update(copy);
        }
        chunk.getData().writeTo(out);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot spool " + name, e);
      }
      written = after;
    }

    void finish() {
      String name = declared.getName();
      try {
        open();
        out.close();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot spool " + name, e);
      }
      finished = true;
      if (written != declared.getSizeBytes()) {
        throw Errors.invalid(
            "file "
                + name
                + ": received "
                + written
                + " bytes, declared size_bytes "
                + declared.getSizeBytes());
      }
      String actual = HexFormat.of().formatHex(digest.digest());
      if (!actual.equals(declared.getSha256())) {
        throw Errors.invalid(
            "file "
                + name
                + ": sha256 "
                + actual
                + " does not match the declared "
                + declared.getSha256());
      }
    }

    private void open() throws IOException {
      if (out == null) {
        Files.createDirectories(directory);
        path = Files.createTempFile(directory, "upload-", ".part");
        out = new java.io.BufferedOutputStream(Files.newOutputStream(path), 1 << 16);
      }
    }

    void delete() {
      try {
        if (out != null) {
          out.close();
        }
        if (path != null) {
          Files.deleteIfExists(path);
        }
      } catch (IOException e) {
        // best effort: the staging folder is emptied at the next start
      }
    }
  }
}
