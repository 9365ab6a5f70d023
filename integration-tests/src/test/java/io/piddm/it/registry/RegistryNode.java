package io.piddm.it.registry;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.piddm.cli.mesh.MeshService;
import io.piddm.cli.mesh.ServiceProcess;
import io.piddm.it.FreePorts;
import io.piddm.probe.ServiceEndpoint;
import io.piddm.proto.v1.CreateVersionHeader;
import io.piddm.proto.v1.CreateVersionRequest;
import io.piddm.proto.v1.CreateVersionResponse;
import io.piddm.proto.v1.DownloadRequest;
import io.piddm.proto.v1.DownloadResponse;
import io.piddm.proto.v1.FileChunk;
import io.piddm.proto.v1.FileEntry;
import io.piddm.proto.v1.ModelManifest;
import io.piddm.proto.v1.RegistryServiceGrpc;
import io.piddm.proto.v1.VersionSelector;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One registry-service process started from its built jar on free ports, with a gRPC channel and
 * the helpers the registry's integration tests share (streamed upload and download).
 */
final class RegistryNode implements AutoCloseable {

  static final String TOKEN = "it-token";
  static final int CHUNK = 1024 * 1024;
  private static final Path HOME =
      Path.of(System.getProperty("piddm.home", "..")).toAbsolutePath().normalize();

  private final ServiceProcess process;
  private final ManagedChannel channel;
  private final Path dataDir;
  private final Map<String, String> environment;

  private RegistryNode(
      ServiceProcess process, ManagedChannel channel, Path dataDir, Map<String, String> env) {
    this.process = process;
    this.channel = channel;
    this.dataDir = dataDir;
    this.environment = env;
  }

  /** Starts a registry over {@code dataDir}; {@code extra} adds environment settings. */
  static RegistryNode start(Path dataDir, Map<String, String> extra)
      throws IOException, InterruptedException {
    int[] ports = FreePorts.pick(2);
    ServiceEndpoint endpoint = new ServiceEndpoint("registry", "localhost", ports[0], ports[1]);
    Map<String, String> env = new HashMap<>();
    env.put("PIDDM_REGISTRY_DATA_DIR", dataDir.toString());
    env.put("PIDDM_REGISTRY_TOKEN", TOKEN);
    env.put("PIDDM_REGISTRY_WATCH_POLL_INTERVAL", "200ms");
    env.put("PIDDM_REGISTRY_HEALTH_INTERVAL", "250ms");
    env.put("PIDDM_REGISTRY_MAX_FILE_BYTES", Long.toString(200L * 1024 * 1024));
    env.putAll(extra);
    ServiceProcess process =
        ServiceProcess.start(
            MeshService.REGISTRY,
            HOME,
            endpoint,
            dataDir.resolveSibling(dataDir.getFileName() + "-" + ports[0] + ".log"),
            env);
    process.awaitServing(Duration.ofMinutes(2));
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("localhost", ports[0])
            .usePlaintext()
            .maxInboundMessageSize(8 * 1024 * 1024)
            .build();
    return new RegistryNode(process, channel, dataDir, env);
  }

  /** A new process over the same data and settings (after a kill or a stop). */
  RegistryNode restart() throws IOException, InterruptedException {
    close();
    return start(dataDir, environment);
  }

  /** Kills the process the hard way (SIGKILL): no shutdown hook, no clean-up. */
  void kill() throws Exception {
    ProcessHandle handle = ProcessHandle.of(process.pid()).orElseThrow();
    handle.destroyForcibly();
    handle.onExit().get(30, TimeUnit.SECONDS);
    channel.shutdownNow();
  }

  Path dataDir() {
    return dataDir;
  }

  ServiceProcess process() {
    return process;
  }

  ManagedChannel channel() {
    return channel;
  }

  RegistryServiceGrpc.RegistryServiceBlockingStub reader() {
    return RegistryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  RegistryServiceGrpc.RegistryServiceBlockingStub writer() {
    return withToken(RegistryServiceGrpc.newBlockingStub(channel), TOKEN)
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  static <S extends io.grpc.stub.AbstractStub<S>> S withToken(S stub, String token) {
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  RegistryServiceGrpc.RegistryServiceStub asyncWriter() {
    return withToken(RegistryServiceGrpc.newStub(channel), TOKEN);
  }

  /** HTTP status of /q/health/ready. */
  int readiness() throws IOException, InterruptedException {
    return readinessReport().statusCode();
  }

  /** /q/health/ready: its status and the JSON report. */
  HttpResponse<String> readinessReport() throws IOException, InterruptedException {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://localhost:" + process.endpoint().httpPort() + "/q/health/ready"))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static CreateVersionRequest header(String model, ModelManifest manifest) {
    return CreateVersionRequest.newBuilder()
        .setHeader(CreateVersionHeader.newBuilder().setModelName(model).setManifest(manifest))
        .build();
  }

  static ModelManifest manifestFor(String file, byte[] data, double pdeError) {
    return ModelManifest.newBuilder()
        .putMetrics("pde_error", pdeError)
        .addFiles(
            FileEntry.newBuilder()
                .setName(file)
                .setSizeBytes(data.length)
                .setSha256(sha256(data))
                .setMediaType("application/onnx"))
        .build();
  }

  /** Streams {@code messages} as one CreateVersion call and waits for its answer. */
  CreateVersionResponse createVersion(
      RegistryServiceGrpc.RegistryServiceStub stub, Iterator<CreateVersionRequest> messages)
      throws Exception {
    CompletableFuture<CreateVersionResponse> done = new CompletableFuture<>();
    StreamObserver<CreateVersionRequest> requests =
        stub.withDeadlineAfter(120, TimeUnit.SECONDS).createVersion(completing(done));
    while (messages.hasNext()) {
      requests.onNext(messages.next());
    }
    requests.onCompleted();
    try {
      return done.get(150, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  /** Uploads one file as a new version of {@code model}. */
  CreateVersionResponse upload(String model, String file, byte[] data, double pdeError)
      throws Exception {
    return createVersion(
        asyncWriter(), messages(model, file, data, manifestFor(file, data, pdeError)));
  }

  static Iterator<CreateVersionRequest> messages(
      String model, String file, byte[] data, ModelManifest manifest) {
    return messages(model, file, data, manifest, CHUNK);
  }

  /** The header, then {@code data} in chunks of {@code chunkSize} bytes. */
  static Iterator<CreateVersionRequest> messages(
      String model, String file, byte[] data, ModelManifest manifest, int chunkSize) {
    return new Iterator<>() {
      private long offset = -1;

      @Override
      public boolean hasNext() {
        return offset < data.length;
      }

      @Override
      public CreateVersionRequest next() {
        if (offset < 0) {
          offset = 0;
          if (data.length == 0) {
            offset = 1;
          }
          return header(model, manifest);
        }
        int n = (int) Math.min(chunkSize, data.length - offset);
        CreateVersionRequest chunk = chunk(file, offset, data, (int) offset, n);
        offset += n;
        return chunk;
      }
    };
  }

  static CreateVersionRequest chunk(String file, long offset, byte[] data, int from, int length) {
    return CreateVersionRequest.newBuilder()
        .setChunk(
            FileChunk.newBuilder()
                .setFileName(file)
                .setOffset(offset)
                .setData(ByteString.copyFrom(data, from, length)))
        .build();
  }

  /** Downloads a file; fails when the bytes do not match the header's sha256. */
  byte[] download(String model, long version, String file) {
    Iterator<DownloadResponse> responses =
        reader()
            .withDeadlineAfter(120, TimeUnit.SECONDS)
            .download(
                DownloadRequest.newBuilder()
                    .setSelector(
                        VersionSelector.newBuilder().setModelName(model).setVersion(version))
                    .setFileName(file)
                    .build());
    DownloadResponse first = responses.next();
    FileEntry entry = first.getHeader().getFile();
    byte[] out = new byte[(int) entry.getSizeBytes()];
    int at = 0;
    while (responses.hasNext()) {
      ByteString data = responses.next().getChunk().getData();
      data.copyTo(out, at);
      at += data.size();
    }
    if (at != out.length || !sha256(out).equals(entry.getSha256())) {
      throw new AssertionError("downloaded bytes do not match the manifest's sha256");
    }
    return out;
  }

  static <T> StreamObserver<T> completing(CompletableFuture<T> done) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        done.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        done.complete(null);
      }
    };
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    process.stop(Duration.ofSeconds(20));
  }
}
