package io.piddm.api.registry;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.piddm.api.BearerToken;
import io.piddm.probe.GrpcChannels;
import io.piddm.proto.v1.AliasEvent;
import io.piddm.proto.v1.AliasRecord;
import io.piddm.proto.v1.CreateVersionHeader;
import io.piddm.proto.v1.CreateVersionRequest;
import io.piddm.proto.v1.CreateVersionResponse;
import io.piddm.proto.v1.DownloadRequest;
import io.piddm.proto.v1.DownloadResponse;
import io.piddm.proto.v1.FileChunk;
import io.piddm.proto.v1.FileEntry;
import io.piddm.proto.v1.GetAliasRequest;
import io.piddm.proto.v1.GetVersionRequest;
import io.piddm.proto.v1.ModelManifest;
import io.piddm.proto.v1.RegistryServiceGrpc;
import io.piddm.proto.v1.SetAliasRequest;
import io.piddm.proto.v1.VersionSelector;
import io.piddm.proto.v1.WatchAliasesRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A client of the registry: uploads a folder of files as a new model version (streamed in chunks
 * with gRPC flow control, never a whole file in memory), downloads a version with every file
 * checked against the manifest's sha256, moves aliases by compare-and-set and follows an alias's
 * moves. What {@code piddm} commands, the trainer, the sampler and the integration tests use.
 */
public final class RegistryClient implements AutoCloseable {

  static final int CHUNK_BYTES = 1024 * 1024;

  private final ManagedChannel channel;
  private final boolean ownsChannel;
  private final RegistryServiceGrpc.RegistryServiceStub async;
  private final RegistryServiceGrpc.RegistryServiceBlockingStub blocking;

  /**
   * A channel to {@code target} (host:port), TLS when the process has a CA file ({@link
   * GrpcChannels#defaultCaFile}); {@code token} may be null for reads.
   */
  public RegistryClient(String target, String token) {
    this(target, token, GrpcChannels.defaultCaFile());
  }

  /** As above, TLS trusting {@code caFile} when present, plaintext otherwise. */
  public RegistryClient(String target, String token, Optional<Path> caFile) {
    this(
        GrpcChannels.forTarget(target, caFile).maxInboundMessageSize(8 * 1024 * 1024).build(),
        token,
        true);
  }

  /** Over a channel the caller owns (and closes); {@code token} may be null. */
  public RegistryClient(ManagedChannel channel, String token) {
    this(channel, token, false);
  }

  private RegistryClient(ManagedChannel channel, String token, boolean ownsChannel) {
    this.channel = channel;
    this.ownsChannel = ownsChannel;
    RegistryServiceGrpc.RegistryServiceStub a = RegistryServiceGrpc.newStub(channel);
    RegistryServiceGrpc.RegistryServiceBlockingStub b =
        RegistryServiceGrpc.newBlockingStub(channel);
    if (BearerToken.present(token)) {
      a = a.withInterceptors(BearerToken.header(token));
      b = b.withInterceptors(BearerToken.header(token));
    }
    this.async = a;
    this.blocking = b;
  }

  public RegistryServiceGrpc.RegistryServiceBlockingStub stub() {
    return blocking.withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /**
   * Uploads {@code files} as the next version of {@code model}. {@code base} carries what the
   * registry cannot know (PDE, grid, metrics, lineage); the file entries (size, sha256, media type)
   * are computed here. {@code requestAlias}, when not empty, is moved to the new version.
   */
  public CreateVersionResponse publish(
      String model, List<Path> files, ModelManifest base, String requestAlias)
      throws IOException, InterruptedException {
    ModelManifest.Builder manifest = base.toBuilder().clearFiles().setModelName(model);
    for (Path file : files) {
      manifest.addFiles(
          FileEntry.newBuilder()
              .setName(file.getFileName().toString())
              .setSizeBytes(Files.size(file))
              .setSha256(sha256(file))
              .setMediaType(mediaType(file)));
    }
    CreateVersionRequest header =
        CreateVersionRequest.newBuilder()
            .setHeader(
                CreateVersionHeader.newBuilder()
                    .setModelName(model)
                    .setManifest(manifest)
                    .setRequestAlias(requestAlias == null ? "" : requestAlias))
            .build();
    CompletableFuture<CreateVersionResponse> done = new CompletableFuture<>();
    async
        .withDeadlineAfter(30, TimeUnit.MINUTES)
        .createVersion(new Pump(new ChunkSource(header, files), done));
    try {
      return done.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException("upload of " + model + " failed: " + e.getCause(), e.getCause());
    }
  }

  /** Every regular file directly in {@code folder}, by name. */
  public static List<Path> filesOf(Path folder) throws IOException {
    try (var entries = Files.list(folder)) {
      return entries.filter(Files::isRegularFile).sorted().toList();
    }
  }

  /** Points {@code alias} at {@code version}, against the alias's current revision. */
  public AliasRecord setAlias(String model, String alias, long version, String reason) {
    long revision = 0;
    try {
      revision =
          stub()
              .getAlias(GetAliasRequest.newBuilder().setModelName(model).setAlias(alias).build())
              .getAlias()
              .getRevision();
    } catch (io.grpc.StatusRuntimeException e) {
      if (e.getStatus().getCode() != io.grpc.Status.Code.NOT_FOUND) {
        throw e;
      }
    }
    return stub()
        .setAlias(
            SetAliasRequest.newBuilder()
                .setModelName(model)
                .setAlias(alias)
                .setVersion(version)
                .setExpectedRevision(revision)
                .setReason(reason == null ? "" : reason)
                .build())
        .getAlias();
  }

  static String sha256(Path file) throws IOException {
    MessageDigest digest = sha256Digest();
    byte[] buffer = new byte[CHUNK_BYTES];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest sha256Digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String mediaType(Path file) {
    String name = file.getFileName().toString();
    if (name.endsWith(".onnx")) {
      return "application/onnx";
    }
    if (name.endsWith(".json")) {
      return "application/json";
    }
    return "application/octet-stream";
  }

  /**
   * Downloads every file of {@code model} version {@code version} into {@code dir} and returns its
   * manifest. Each file streams to {@code <name>.part}, its sha256 is checked against the manifest
   * and only then is it moved into place, so {@code dir} never holds a partial or corrupt file
   * under a manifest name; a file already there with the manifest's checksum is not fetched again.
   *
   * @throws IOException a checksum that does not match (the part file is removed), a manifest file
   *     name that is not a plain name, or the disk
   */
  public ModelManifest download(String model, long version, Path dir) throws IOException {
    VersionSelector selector =
        VersionSelector.newBuilder().setModelName(model).setVersion(version).build();
    ModelManifest manifest =
        stub()
            .getVersion(GetVersionRequest.newBuilder().setSelector(selector).build())
            .getManifest();
    Files.createDirectories(dir);
    for (FileEntry file : manifest.getFilesList()) {
      downloadFile(selector, file, dir);
    }
    return manifest;
  }

  private void downloadFile(VersionSelector selector, FileEntry file, Path dir) throws IOException {
    if (file.getName().contains("/") || file.getName().contains("..")) {
      throw new IOException("manifest file name '" + file.getName() + "' is not a plain name");
    }
    Path target = dir.resolve(file.getName());
    if (Files.isRegularFile(target) && sha256(target).equals(file.getSha256())) {
      return;
    }
    Path part = dir.resolve(file.getName() + ".part");
    MessageDigest digest = sha256Digest();
    Iterator<DownloadResponse> chunks =
        blocking
            .withDeadlineAfter(10, TimeUnit.MINUTES)
            .download(
                DownloadRequest.newBuilder()
                    .setSelector(selector)
                    .setFileName(file.getName())
                    .build());
    try (OutputStream out = Files.newOutputStream(part)) {
      while (chunks.hasNext()) {
        DownloadResponse r = chunks.next();
        if (r.hasChunk()) {
          byte[] data = r.getChunk().getData().toByteArray();
          digest.update(data);
          out.write(data);
        }
      }
    }
    String got = HexFormat.of().formatHex(digest.digest());
    if (!got.equals(file.getSha256())) {
      Files.deleteIfExists(part);
      throw new IOException(
          file.getName()
              + ": sha256 "
              + got
              + " does not match the manifest's "
              + file.getSha256());
    }
    Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Follows one alias's moves as the registry pushes them: {@code moves} sees each {@link
   * AliasRecord} (the current state first, then every move, on a gRPC thread). A stream that breaks
   * — a registry restart, a network fault — is reopened on {@code scheduler} after {@code retry},
   * passing the revision already seen so only newer moves are sent again. Stops when the returned
   * handle is closed.
   */
  public AliasWatch watchAlias(
      String model,
      String alias,
      Consumer<AliasRecord> moves,
      ScheduledExecutorService scheduler,
      Duration retry) {
    AliasWatch watch = new AliasWatch(model, alias, moves, scheduler, retry);
    watch.open();
    return watch;
  }

  /** A running {@link #watchAlias}; {@link #close} stops it and its reconnects. */
  public final class AliasWatch implements AutoCloseable {
    private final String model;
    private final String alias;
    private final Consumer<AliasRecord> moves;
    private final ScheduledExecutorService scheduler;
    private final Duration retry;
    private final AtomicLong seenRevision = new AtomicLong();
    private volatile boolean closed;
    private volatile io.grpc.Context.CancellableContext stream;

    private AliasWatch(
        String model,
        String alias,
        Consumer<AliasRecord> moves,
        ScheduledExecutorService scheduler,
        Duration retry) {
      this.model = model;
      this.alias = alias;
      this.moves = moves;
      this.scheduler = scheduler;
      this.retry = retry;
    }

    /** The highest alias revision delivered so far (0 before the first event). */
    public long seenRevision() {
      return seenRevision.get();
    }

    private void open() {
      if (closed) {
        return;
      }
      WatchAliasesRequest.Builder request =
          WatchAliasesRequest.newBuilder().setModelName(model).setAlias(alias);
      long seen = seenRevision.get();
      if (seen > 0) {
        request.putSeenRevisions(model + "/" + alias, seen);
      }
      io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
      stream = context;
      context.run(
          () ->
              async.watchAliases(
                  request.build(),
                  new StreamObserver<AliasEvent>() {
                    @Override
                    public void onNext(AliasEvent event) {
                      seenRevision.accumulateAndGet(event.getAlias().getRevision(), Math::max);
                      moves.accept(event.getAlias());
                    }

                    @Override
                    public void onError(Throwable t) {
                      reopenLater();
                    }

                    @Override
                    public void onCompleted() {
                      reopenLater();
                    }
                  }));
    }

    private void reopenLater() {
      if (closed) {
        return;
      }
      try {
        scheduler.schedule(this::open, retry.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        // the scheduler is shutting down: so is whoever watches
      }
    }

    @Override
    public void close() {
      closed = true;
      io.grpc.Context.CancellableContext s = stream;
      if (s != null) {
        s.cancel(null);
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (ownsChannel) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** The header, then each file's chunks in order, read from disk as the stream asks for them. */
  private static final class ChunkSource {
    private final List<Path> files;
    private CreateVersionRequest header;
    private int fileIndex;
    private InputStream in;
    private long offset;

    ChunkSource(CreateVersionRequest header, List<Path> files) {
      this.header = header;
      this.files = new ArrayList<>(files);
    }

    /** The next message, or null at the end. */
    CreateVersionRequest next() throws IOException {
      if (header != null) {
        CreateVersionRequest h = header;
        header = null;
        return h;
      }
      while (fileIndex < files.size()) {
        Path file = files.get(fileIndex);
        if (in == null) {
          in = Files.newInputStream(file);
          offset = 0;
        }
        byte[] data = in.readNBytes(CHUNK_BYTES);
        if (data.length > 0) {
          CreateVersionRequest chunk =
              CreateVersionRequest.newBuilder()
                  .setChunk(
                      FileChunk.newBuilder()
                          .setFileName(file.getFileName().toString())
                          .setOffset(offset)
                          .setData(ByteString.copyFrom(data)))
                  .build();
          offset += data.length;
          return chunk;
        }
        in.close();
        in = null;
        fileIndex++;
      }
      return null;
    }

    void close() {
      if (in != null) {
        try {
          in.close();
        } catch (IOException ignored) {
          // nothing was written through it
        }
      }
    }
  }

  /** Sends messages only while the transport is ready, so a slow registry bounds our memory. */
  private static final class Pump
      implements ClientResponseObserver<CreateVersionRequest, CreateVersionResponse> {
    private final ChunkSource source;
    private final CompletableFuture<CreateVersionResponse> done;
    private boolean finished;

    Pump(ChunkSource source, CompletableFuture<CreateVersionResponse> done) {
      this.source = source;
      this.done = done;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<CreateVersionRequest> requests) {
      requests.setOnReadyHandler(
          () -> {
            synchronized (this) {
              try {
                while (!finished && requests.isReady()) {
                  CreateVersionRequest next = source.next();
                  if (next == null) {
                    finished = true;
                    source.close();
                    requests.onCompleted();
                  } else {
                    requests.onNext(next);
                  }
                }
              } catch (IOException e) {
                finished = true;
                source.close();
                requests.onError(new UncheckedIOException(e));
                done.completeExceptionally(e);
              }
            }
          });
    }

    @Override
    public void onNext(CreateVersionResponse value) {
      done.complete(value);
    }

    @Override
    public void onError(Throwable t) {
      source.close();
      done.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
      done.complete(null);
    }
  }
}
