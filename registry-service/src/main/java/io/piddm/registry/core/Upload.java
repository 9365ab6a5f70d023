package io.piddm.registry.core;

import io.piddm.proto.v1.CreateVersionHeader;
import io.piddm.proto.v1.FileChunk;
import io.piddm.proto.v1.FileEntry;
import io.piddm.proto.v1.ModelManifest;
import io.piddm.registry.store.ObjectStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One CreateVersion stream in progress: the header's declarations, the version number it claimed,
 * and for each file a PUT into the version's folder that is sent while the chunks arrive (see
 * {@link ObjectStream}), with the file's sha256 computed on the way. The last chunk of a file is
 * held back until size and sha256 match the declaration, so a file that does not match never
 * becomes an object. The version stays invisible until {@link Registry#commit} writes its manifest;
 * {@link #discard} stops the PUTs and removes what the upload wrote.
 */
public final class Upload implements AutoCloseable {

  public static final int MAX_CHUNK = 4 * 1024 * 1024;

  /**
   * Files one version may declare: a model is a handful (model.onnx, reconstruct.onnx, cards); the
   * bound keeps a hostile header from making the registry track and claim thousands of objects.
   */
  public static final int MAX_FILES = 64;

  private final Registry registry;
  private final String model;
  private final ModelManifest manifest;
  private final String requestAlias;
  private final Map<String, IncomingFile> files = new LinkedHashMap<>();
  private VersionClaim claim;
  private boolean committed;
  private boolean discarded;
  private long bytes;

  Upload(Registry registry, CreateVersionHeader header, long maxFileBytes) {
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
    if (declared.getFilesCount() > MAX_FILES) {
      throw Errors.exhausted(
          "manifest.files declares "
              + declared.getFilesCount()
              + " files, over the limit of "
              + MAX_FILES
              + " per version");
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
      files.put(name, new IncomingFile(file));
    }
    this.manifest = declared.toBuilder().setModelName(model).build();
    this.registry = registry;
  }

  void claimed(VersionClaim claim) {
    this.claim = claim;
  }

  VersionClaim claim() {
    return claim;
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

  /** Appends a chunk; INVALID_ARGUMENT or RESOURCE_EXHAUSTED as the contract says. */
  public void accept(FileChunk chunk) {
    if (chunk.getData().size() > MAX_CHUNK) {
      throw Errors.exhausted(
          "chunk of " + chunk.getData().size() + " bytes is over the 4 MiB limit");
    }
    IncomingFile incoming = files.get(chunk.getFileName());
    if (incoming == null) {
      throw Errors.invalid("chunk for undeclared file \"" + chunk.getFileName() + "\"");
    }
    registry.keepClaim(claim);
    incoming.append(chunk);
    bytes += chunk.getData().size();
  }

  /**
   * Checks that every file arrived whole (sending the empty ones now) and waits until the store
   * holds each of them.
   */
  void finishFiles() {
    for (IncomingFile incoming : files.values()) {
      incoming.complete();
    }
    for (IncomingFile incoming : files.values()) {
      incoming.stream.finish();
    }
  }

  void committed() {
    committed = true;
  }

  /**
   * Stops every PUT still running, then removes what the upload wrote and its claim (unless the
   * claim was lost to another upload, which owns the number now). Does nothing once committed; safe
   * to call more than once.
   */
  public void discard() {
    if (committed || discarded) {
      return;
    }
    discarded = true;
    for (IncomingFile incoming : files.values()) {
      if (incoming.stream != null) {
        incoming.stream.abort();
      }
    }
    if (claim != null) {
      registry.abandon(claim);
    }
  }

  @Override
  public void close() {
    discard();
  }

  private final class IncomingFile {
    private final FileEntry declared;
    private final MessageDigest digest;
    private ObjectStream stream;
    private long written;

    IncomingFile(FileEntry declared) {
      this.declared = declared;
      try {
        this.digest = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    void append(FileChunk chunk) {
      String name = declared.getName();
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
      for (ByteBuffer buffer : chunk.getData().asReadOnlyByteBufferList()) {
        digest.update(buffer);
      }
      if (after == declared.getSizeBytes()) {
        checkSha256();
      }
      if (stream == null) {
        open();
      }
      for (ByteBuffer buffer : chunk.getData().asReadOnlyByteBufferList()) {
        stream.write(buffer);
      }
      written = after;
    }

    /** A file that got no chunk at all can only be empty; anything else came up short. */
    void complete() {
      if (written != declared.getSizeBytes()) {
        throw Errors.invalid(
            "file "
                + declared.getName()
                + ": received "
                + written
                + " bytes, declared size_bytes "
                + declared.getSizeBytes());
      }
      if (stream == null) {
        checkSha256();
        open();
      }
    }

    private void open() {
      stream =
          registry.store().stream(
              Layout.file(model, claim.version, declared.getName()),
              declared.getSizeBytes(),
              declared.getMediaType());
    }

    private void checkSha256() {
      String actual = HexFormat.of().formatHex(digest.digest());
      if (!actual.equals(declared.getSha256())) {
        throw Errors.invalid(
            "file "
                + declared.getName()
                + ": sha256 "
                + actual
                + " does not match the declared "
                + declared.getSha256());
      }
    }
  }
}
