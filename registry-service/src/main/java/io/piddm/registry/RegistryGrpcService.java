package io.piddm.registry;

import com.google.protobuf.ByteString;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.piddm.proto.v1.AliasEvent;
import io.piddm.proto.v1.CreateVersionRequest;
import io.piddm.proto.v1.CreateVersionResponse;
import io.piddm.proto.v1.DownloadHeader;
import io.piddm.proto.v1.DownloadRequest;
import io.piddm.proto.v1.DownloadResponse;
import io.piddm.proto.v1.FileChunk;
import io.piddm.proto.v1.GetAliasHistoryRequest;
import io.piddm.proto.v1.GetAliasHistoryResponse;
import io.piddm.proto.v1.GetAliasPolicyRequest;
import io.piddm.proto.v1.GetAliasPolicyResponse;
import io.piddm.proto.v1.GetAliasRequest;
import io.piddm.proto.v1.GetAliasResponse;
import io.piddm.proto.v1.GetVersionRequest;
import io.piddm.proto.v1.GetVersionResponse;
import io.piddm.proto.v1.ListModelsRequest;
import io.piddm.proto.v1.ListModelsResponse;
import io.piddm.proto.v1.ListVersionsRequest;
import io.piddm.proto.v1.ListVersionsResponse;
import io.piddm.proto.v1.RegistryServiceGrpc;
import io.piddm.proto.v1.RollbackAliasRequest;
import io.piddm.proto.v1.RollbackAliasResponse;
import io.piddm.proto.v1.SetAliasPolicyRequest;
import io.piddm.proto.v1.SetAliasPolicyResponse;
import io.piddm.proto.v1.SetAliasRequest;
import io.piddm.proto.v1.SetAliasResponse;
import io.piddm.proto.v1.WatchAliasesRequest;
import io.piddm.registry.core.Registry;
import io.piddm.registry.core.Upload;
import io.piddm.registry.store.StoreMisconfiguredException;
import io.piddm.registry.store.StoreUnavailableException;
import io.piddm.service.StrictRequests;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import jakarta.annotation.PreDestroy;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * RegistryService over gRPC: maps messages to {@link Registry} and its errors to the contract's
 * statuses. Storage work runs on the registry's own threads, never on the gRPC event loop; the
 * streams honour flow control (uploads are read one message at a time, downloads wait for the
 * client to be ready).
 */
@GrpcService
@RegisterInterceptor(AuthInterceptor.class)
public class RegistryGrpcService extends RegistryServiceGrpc.RegistryServiceImplBase {

  /** Requests that are not valid messages answer INVALID_ARGUMENT, not UNKNOWN. */
  @Override
  public ServerServiceDefinition bindService() {
    return StrictRequests.of(super.bindService());
  }

  private static final Logger LOG = Logger.getLogger(RegistryGrpcService.class);
  private static final int DEFAULT_CHUNK = 1024 * 1024;

  /**
   * Upload messages read ahead of the one being written: enough to keep loopback busy, few enough
   * (at most this many 4 MiB chunks) that a fast client cannot make the server buffer much.
   */
  private static final int UPLOAD_READ_AHEAD = 4;

  private final RegistryRuntime runtime;
  private final ExecutorService io;

  public RegistryGrpcService(RegistryRuntime runtime) {
    this.runtime = runtime;
    AtomicInteger threads = new AtomicInteger();
    this.io =
        new ThreadPoolExecutor(
            0,
            256,
            60,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> {
              Thread thread = new Thread(r, "registry-io-" + threads.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
  }

  @PreDestroy
  void stop() {
    io.shutdownNow();
  }

  private Registry registry() {
    return runtime.registry();
  }

  private static String actor() {
    String actor = AuthInterceptor.ACTOR.get();
    return actor == null ? "token" : actor;
  }

  /** Runs a unary call on the registry's threads and answers with its result or status. */
  private <R> void unary(StreamObserver<R> responses, Supplier<R> work) {
    io.execute(
        () -> {
          try {
            R result = work.get();
            responses.onNext(result);
            responses.onCompleted();
          } catch (RuntimeException e) {
            responses.onError(toStatus(e));
          }
        });
  }

  static StatusRuntimeException toStatus(Throwable e) {
    if (e instanceof StatusRuntimeException status) {
      return status;
    }
    if (e instanceof StoreUnavailableException) {
      return Status.UNAVAILABLE.withDescription(e.getMessage()).withCause(e).asRuntimeException();
    }
    if (e instanceof StoreMisconfiguredException) {
      // INTERNAL, not FAILED_PRECONDITION: the fault is the registry's setup, which the caller
      // cannot change and a retry will not fix (README.md, "Errors"); readiness is DOWN meanwhile
      return Status.INTERNAL.withDescription(e.getMessage()).withCause(e).asRuntimeException();
    }
    LOG.error("registry call failed", e);
    return Status.INTERNAL.withDescription(String.valueOf(e)).withCause(e).asRuntimeException();
  }

  @Override
  public void getVersion(GetVersionRequest request, StreamObserver<GetVersionResponse> responses) {
    unary(
        responses,
        () ->
            GetVersionResponse.newBuilder()
                .setManifest(registry().getVersion(request.getSelector()))
                .build());
  }

  @Override
  public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> responses) {
    unary(responses, () -> registry().listModels(request));
  }

  @Override
  public void listVersions(
      ListVersionsRequest request, StreamObserver<ListVersionsResponse> responses) {
    unary(responses, () -> registry().listVersions(request));
  }

  @Override
  public void setAlias(SetAliasRequest request, StreamObserver<SetAliasResponse> responses) {
    String actor = actor();
    unary(
        responses,
        () -> SetAliasResponse.newBuilder().setAlias(registry().setAlias(request, actor)).build());
  }

  @Override
  public void getAlias(GetAliasRequest request, StreamObserver<GetAliasResponse> responses) {
    unary(responses, () -> registry().getAlias(request.getModelName(), request.getAlias()));
  }

  @Override
  public void rollbackAlias(
      RollbackAliasRequest request, StreamObserver<RollbackAliasResponse> responses) {
    String actor = actor();
    unary(
        responses,
        () ->
            RollbackAliasResponse.newBuilder()
                .setAlias(registry().rollback(request, actor))
                .build());
  }

  @Override
  public void getAliasHistory(
      GetAliasHistoryRequest request, StreamObserver<GetAliasHistoryResponse> responses) {
    unary(responses, () -> registry().history(request));
  }

  @Override
  public void setAliasPolicy(
      SetAliasPolicyRequest request, StreamObserver<SetAliasPolicyResponse> responses) {
    unary(
        responses,
        () ->
            SetAliasPolicyResponse.newBuilder()
                .setPolicy(registry().setPolicy(request.getPolicy()))
                .build());
  }

  @Override
  public void getAliasPolicy(
      GetAliasPolicyRequest request, StreamObserver<GetAliasPolicyResponse> responses) {
    unary(
        responses,
        () ->
            GetAliasPolicyResponse.newBuilder()
                .setPolicy(registry().getPolicy(request.getModelName(), request.getAlias()))
                .build());
  }

  @Override
  public StreamObserver<CreateVersionRequest> createVersion(
      StreamObserver<CreateVersionResponse> responses) {
    ServerCallStreamObserver<CreateVersionResponse> call =
        (ServerCallStreamObserver<CreateVersionResponse>) responses;
    call.disableAutoRequest();
    UploadCall upload = new UploadCall(call, actor());
    call.setOnCancelHandler(() -> upload.enqueue(upload::discard));
    call.request(UPLOAD_READ_AHEAD);
    return upload;
  }

  /**
   * One CreateVersion stream: messages are handled in order on the registry's threads and each is
   * requested only once an earlier one was handed to the store's bounded upload queue, so a fast
   * client cannot make the server buffer without bound.
   */
  private final class UploadCall implements StreamObserver<CreateVersionRequest> {
    private final ServerCallStreamObserver<CreateVersionResponse> call;
    private final String actor;
    private Upload upload;
    private volatile boolean done;
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

    UploadCall(ServerCallStreamObserver<CreateVersionResponse> call, String actor) {
      this.call = call;
      this.actor = actor;
    }

    /** Runs the stream's events on the registry's threads, one after the other, in order. */
    private synchronized void enqueue(Runnable task) {
      tail = tail.thenRunAsync(task, io);
    }

    @Override
    public void onNext(CreateVersionRequest request) {
      enqueue(() -> handle(request));
    }

    private void handle(CreateVersionRequest request) {
      if (done) {
        return;
      }
      try {
        switch (request.getPartCase()) {
          case HEADER -> {
            if (upload != null) {
              throw Status.INVALID_ARGUMENT
                  .withDescription("a second header in one CreateVersion stream")
                  .asRuntimeException();
            }
            upload = registry().begin(request.getHeader());
          }
          case CHUNK -> {
            if (upload == null) {
              throw Status.INVALID_ARGUMENT
                  .withDescription("the first message must be the header")
                  .asRuntimeException();
            }
            upload.accept(request.getChunk());
          }
          case PART_NOT_SET ->
              throw Status.INVALID_ARGUMENT
                  .withDescription("a message with neither header nor chunk")
                  .asRuntimeException();
        }
        call.request(1);
      } catch (RuntimeException e) {
        fail(e);
      }
    }

    @Override
    public void onError(Throwable t) {
      enqueue(this::discard);
    }

    @Override
    public void onCompleted() {
      enqueue(this::complete);
    }

    private void complete() {
      if (done) {
        return;
      }
      if (upload == null) {
        fail(
            Status.INVALID_ARGUMENT
                .withDescription("CreateVersion needs a header")
                .asRuntimeException());
        return;
      }
      done = true;
      try {
        CreateVersionResponse response = registry().commit(upload, actor);
        call.onNext(response);
        call.onCompleted();
      } catch (RuntimeException e) {
        upload.discard();
        call.onError(toStatus(e));
      }
    }

    private void fail(RuntimeException e) {
      done = true;
      if (upload != null) {
        upload.discard();
      }
      call.onError(toStatus(e));
    }

    void discard() {
      done = true;
      if (upload != null) {
        upload.discard();
      }
    }
  }

  @Override
  public void download(DownloadRequest request, StreamObserver<DownloadResponse> responses) {
    ServerCallStreamObserver<DownloadResponse> call =
        (ServerCallStreamObserver<DownloadResponse>) responses;
    Object ready = new Object();
    call.setOnReadyHandler(
        () -> {
          synchronized (ready) {
            ready.notifyAll();
          }
        });
    call.setOnCancelHandler(
        () -> {
          synchronized (ready) {
            ready.notifyAll();
          }
        });
    io.execute(() -> sendFile(request, call, ready));
  }

  private void sendFile(
      DownloadRequest request, ServerCallStreamObserver<DownloadResponse> call, Object ready) {
    int chunk = request.getChunkSize();
    if (chunk < 0 || chunk > Upload.MAX_CHUNK) {
      call.onError(
          Status.INVALID_ARGUMENT
              .withDescription("chunk_size must be between 0 and 4 MiB")
              .asRuntimeException());
      return;
    }
    int size = chunk == 0 ? DEFAULT_CHUNK : chunk;
    Registry.OpenedFile file;
    try {
      file = registry().openFile(request.getSelector(), request.getFileName());
    } catch (RuntimeException e) {
      call.onError(toStatus(e));
      return;
    }
    try (InputStream in = file.data()) {
      call.onNext(
          DownloadResponse.newBuilder()
              .setHeader(
                  DownloadHeader.newBuilder().setFile(file.entry()).setVersion(file.version()))
              .build());
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[size];
      long offset = 0;
      while (true) {
        int n = in.readNBytes(buffer, 0, size);
        if (n <= 0) {
          break;
        }
        digest.update(buffer, 0, n);
        if (!awaitReady(call, ready)) {
          return;
        }
        call.onNext(
            DownloadResponse.newBuilder()
                .setChunk(
                    FileChunk.newBuilder()
                        .setFileName(file.entry().getName())
                        .setOffset(offset)
                        .setData(ByteString.copyFrom(buffer, 0, n)))
                .build());
        offset += n;
      }
      registry().countBytesOut(offset);
      String actual = HexFormat.of().formatHex(digest.digest());
      if (offset != file.entry().getSizeBytes() || !actual.equals(file.entry().getSha256())) {
        call.onError(
            Status.DATA_LOSS
                .withDescription(
                    "stored bytes of "
                        + file.entry().getName()
                        + " no longer match the manifest's sha256")
                .asRuntimeException());
        return;
      }
      call.onCompleted();
    } catch (Exception e) {
      if (!call.isCancelled()) {
        call.onError(
            toStatus(
                e instanceof java.io.IOException
                    ? new StoreUnavailableException("reading from the object store failed", e)
                    : e instanceof RuntimeException r ? r : new IllegalStateException(e)));
      }
    }
  }

  private static boolean awaitReady(ServerCallStreamObserver<?> call, Object ready)
      throws InterruptedException {
    synchronized (ready) {
      while (!call.isReady()) {
        if (call.isCancelled()) {
          return false;
        }
        ready.wait(100);
      }
    }
    return !call.isCancelled();
  }

  @Override
  public void watchAliases(WatchAliasesRequest request, StreamObserver<AliasEvent> responses) {
    WatchCall watch = new WatchCall((ServerCallStreamObserver<AliasEvent>) responses);
    io.execute(
        () -> {
          try {
            watch.subscribed(runtime.hub().watch(request, watch::offer));
          } catch (RuntimeException e) {
            watch.fail(toStatus(e));
          }
        });
  }

  /**
   * One WatchAliases stream under flow control: events wait in a map keyed by alias while the
   * client is not ready, so a slow client holds at most one pending event per alias (the newest; an
   * older unsent one for the same alias is replaced, as its state is superseded).
   */
  private static final class WatchCall {
    private final ServerCallStreamObserver<AliasEvent> call;
    private final java.util.LinkedHashMap<String, AliasEvent> pending =
        new java.util.LinkedHashMap<>();
    private AutoCloseable subscription;
    private boolean closed;

    WatchCall(ServerCallStreamObserver<AliasEvent> call) {
      this.call = call;
      call.setOnReadyHandler(this::drain);
      call.setOnCancelHandler(this::close);
    }

    synchronized void subscribed(AutoCloseable subscription) {
      this.subscription = subscription;
      if (closed) {
        closeQuietly(subscription);
      }
    }

    synchronized void offer(AliasEvent event) {
      if (closed) {
        return;
      }
      String key = event.getAlias().getModelName() + "/" + event.getAlias().getAlias();
      pending.remove(key);
      pending.put(key, event);
      drain();
    }

    synchronized void drain() {
      while (!closed && !pending.isEmpty() && call.isReady()) {
        var next = pending.entrySet().iterator();
        AliasEvent event = next.next().getValue();
        next.remove();
        try {
          call.onNext(event);
        } catch (RuntimeException gone) {
          close();
        }
      }
    }

    synchronized void fail(StatusRuntimeException status) {
      if (!closed) {
        close();
        call.onError(status);
      }
    }

    synchronized void close() {
      closed = true;
      pending.clear();
      closeQuietly(subscription);
    }
  }

  private static void closeQuietly(AutoCloseable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception e) {
      LOG.debug("closing a watch failed", e);
    }
  }
}
