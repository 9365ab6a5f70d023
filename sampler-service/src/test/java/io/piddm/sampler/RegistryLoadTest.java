package io.piddm.sampler;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.piddm.proto.v1.AliasRecord;
import io.piddm.proto.v1.DownloadHeader;
import io.piddm.proto.v1.DownloadRequest;
import io.piddm.proto.v1.DownloadResponse;
import io.piddm.proto.v1.FileChunk;
import io.piddm.proto.v1.FileEntry;
import io.piddm.proto.v1.GetAliasRequest;
import io.piddm.proto.v1.GetAliasResponse;
import io.piddm.proto.v1.GetVersionRequest;
import io.piddm.proto.v1.GetVersionResponse;
import io.piddm.proto.v1.LoadState;
import io.piddm.proto.v1.ModelManifest;
import io.piddm.proto.v1.RegistryServiceGrpc;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading from the registry alias against a stand-in RegistryService on a real socket: GetAlias →
 * GetVersion → Download of every manifest file, sha256 verified, sessions opened, swapped in.
 */
class RegistryLoadTest {

  @TempDir Path tmp;

  Server server;
  final Map<String, byte[]> files = new LinkedHashMap<>();
  volatile boolean corrupt;

  @BeforeEach
  void start() throws Exception {
    Path student = tmp.resolve("export");
    ExportedStudent.write(student, 9);
    for (String f : new String[] {"model.onnx", "reconstruct.onnx"}) {
      files.put(f, Files.readAllBytes(student.resolve(f)));
    }
    server = NettyServerBuilder.forPort(0).addService(new FakeRegistry()).build().start();
  }

  @AfterEach
  void stop() throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void loadsTheAliasVersionWithVerifiedFiles() throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    ModelHolder holder = new ModelHolder(config(), meters);
    holder.onStart(null);
    try {
      awaitLoaded(holder);
      LoadedModel m = holder.current();
      assertThat(m.identity().getModelName()).isEqualTo("darcy");
      assertThat(m.identity().getVersion()).isEqualTo(7);
      assertThat(m.identity().getAlias()).isEqualTo("production");
      assertThat(m.manifest().getFilesCount()).isEqualTo(2);
      assertThat(holder.state()).isEqualTo(LoadState.LOAD_STATE_SERVING);
      assertThat(meters.get("piddm.sampler.loaded.version").gauge().value()).isEqualTo(7);
      assertThat(Files.readAllBytes(tmp.resolve("cache/darcy/7/model.onnx")))
          .isEqualTo(files.get("model.onnx"));
    } finally {
      holder.onStop(null);
    }
  }

  @Test
  void aChecksumMismatchIsALoadFailureNotAModel() throws Exception {
    corrupt = true;
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    ModelHolder holder = new ModelHolder(config(), meters);
    holder.onStart(null);
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (holder.recentFailures().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(holder.recentFailures()).hasSize(1);
      assertThat(holder.recentFailures().get(0).getReason())
          .contains("does not match the manifest");
      assertThat(holder.current()).isNull();
      assertThat(meters.get("piddm.sampler.load.failures").counter().count()).isEqualTo(1);
    } finally {
      holder.onStop(null);
    }
  }

  private static void awaitLoaded(ModelHolder holder) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (holder.current() == null && System.nanoTime() < deadline) {
      assertThat(holder.recentFailures()).isEmpty();
      Thread.sleep(20);
    }
    assertThat(holder.current()).isNotNull();
  }

  private SamplerConfig config() {
    Map<String, Object> values =
        Map.of(
            "modelDir",
            Optional.empty(),
            "registry",
            Optional.of("localhost:" + server.getPort()),
            "registryCaFile",
            Optional.empty(),
            "model",
            Optional.of("darcy"),
            "alias",
            "production",
            "cacheDir",
            tmp.resolve("cache").toString(),
            "reconcileInterval",
            Duration.ZERO,
            "provider",
            "cpu",
            "intraOpThreads",
            1);
    return (SamplerConfig)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {SamplerConfig.class},
            (p, m, a) -> values.get(m.getName()));
  }

  private static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  private final class FakeRegistry extends RegistryServiceGrpc.RegistryServiceImplBase {

    @Override
    public void getAlias(GetAliasRequest request, StreamObserver<GetAliasResponse> out) {
      if (!request.getModelName().equals("darcy") || !request.getAlias().equals("production")) {
        out.onError(Status.NOT_FOUND.asRuntimeException());
        return;
      }
      out.onNext(
          GetAliasResponse.newBuilder()
              .setAlias(
                  AliasRecord.newBuilder()
                      .setModelName("darcy")
                      .setAlias("production")
                      .setVersion(7))
              .build());
      out.onCompleted();
    }

    @Override
    public void getVersion(GetVersionRequest request, StreamObserver<GetVersionResponse> out) {
      try {
        ModelManifest.Builder m = ModelManifest.newBuilder().setModelName("darcy").setVersion(7);
        for (var e : files.entrySet()) {
          m.addFiles(
              FileEntry.newBuilder()
                  .setName(e.getKey())
                  .setSizeBytes(e.getValue().length)
                  .setSha256(
                      corrupt ? "00" + sha256(e.getValue()).substring(2) : sha256(e.getValue())));
        }
        out.onNext(GetVersionResponse.newBuilder().setManifest(m).build());
        out.onCompleted();
      } catch (Exception e) {
        out.onError(e);
      }
    }

    @Override
    public void download(DownloadRequest request, StreamObserver<DownloadResponse> out) {
      byte[] data = files.get(request.getFileName());
      if (data == null || request.getSelector().getVersion() != 7) {
        out.onError(Status.NOT_FOUND.asRuntimeException());
        return;
      }
      out.onNext(
          DownloadResponse.newBuilder()
              .setHeader(
                  DownloadHeader.newBuilder()
                      .setVersion(7)
                      .setFile(FileEntry.newBuilder().setName(request.getFileName())))
              .build());
      int chunk = 64 * 1024;
      for (int off = 0; off < data.length; off += chunk) {
        out.onNext(
            DownloadResponse.newBuilder()
                .setChunk(
                    FileChunk.newBuilder()
                        .setFileName(request.getFileName())
                        .setOffset(off)
                        .setData(
                            ByteString.copyFrom(data, off, Math.min(chunk, data.length - off))))
                .build());
      }
      out.onCompleted();
    }
  }
}
