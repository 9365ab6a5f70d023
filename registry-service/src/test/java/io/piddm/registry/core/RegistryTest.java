package io.piddm.registry.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.piddm.proto.v1.AliasPolicy;
import io.piddm.proto.v1.Comparison;
import io.piddm.proto.v1.CreateVersionHeader;
import io.piddm.proto.v1.FileChunk;
import io.piddm.proto.v1.FileEntry;
import io.piddm.proto.v1.GateRule;
import io.piddm.proto.v1.GetAliasHistoryRequest;
import io.piddm.proto.v1.ListVersionsRequest;
import io.piddm.proto.v1.MetricBound;
import io.piddm.proto.v1.ModelManifest;
import io.piddm.proto.v1.PreviouslyOnAlias;
import io.piddm.proto.v1.RollbackAliasRequest;
import io.piddm.proto.v1.SetAliasRequest;
import io.piddm.proto.v1.VersionSelector;
import io.piddm.registry.store.EmbeddedS3;
import io.piddm.registry.store.ListedObject;
import io.piddm.registry.store.ObjectStore;
import io.piddm.registry.store.PreconditionFailedException;
import io.piddm.registry.store.StoreMisconfiguredException;
import io.piddm.registry.store.StoreUnavailableException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry's logic over a real S3 server (S3Proxy on a temporary folder), without Quarkus. */
class RegistryTest {

  @TempDir Path dir;
  private EmbeddedS3 s3;
  private ObjectStore store;
  private Registry registry;

  @BeforeEach
  void start() throws Exception {
    s3 = EmbeddedS3.start(dir.resolve("s3"), "127.0.0.1", 0, "access", "secret-secret");
    store =
        new ObjectStore(s3.endpoint(), "access", "secret-secret", "test", Duration.ofSeconds(2));
    store.ensureBucket();
    registry = registry(Duration.ofMinutes(10));
  }

  private Registry registry(Duration claimTtl) {
    return new Registry(store, 1 << 30, claimTtl, Clock.systemUTC(), new SimpleMeterRegistry());
  }

  @AfterEach
  void stop() throws Exception {
    store.close();
    s3.close();
  }

  static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  private static final int CHUNK = 1024 * 1024;

  static byte[] random(int size, long seed) {
    byte[] data = new byte[size];
    new java.util.Random(seed).nextBytes(data);
    return data;
  }

  static FileEntry entry(String name, byte[] data) throws Exception {
    return FileEntry.newBuilder()
        .setName(name)
        .setSizeBytes(data.length)
        .setSha256(sha256(data))
        .build();
  }

  static CreateVersionHeader header(String model, String file, byte[] data) throws Exception {
    return CreateVersionHeader.newBuilder()
        .setModelName(model)
        .setManifest(ModelManifest.newBuilder().addFiles(entry(file, data)))
        .build();
  }

  static FileChunk chunk(String file, byte[] data, int offset, int length) {
    return FileChunk.newBuilder()
        .setFileName(file)
        .setOffset(offset)
        .setData(ByteString.copyFrom(data, offset, length))
        .build();
  }

  private static String claim(String model, long version) {
    return Layout.claim(model, version);
  }

  /**
   * Every regular file under the store's folder for the bucket (hidden parts and temp files too).
   */
  private List<Path> bucketFiles() throws java.io.IOException {
    try (var walk = java.nio.file.Files.walk(dir.resolve("s3").resolve("test"))) {
      return walk.filter(java.nio.file.Files::isRegularFile).toList();
    }
  }

  private void awaitStored(String key) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!store.exists(key)) {
      assertThat(System.nanoTime()).as(key + " to be stored").isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  ModelManifest create(String model, byte[] data, double pdeError) throws Exception {
    Upload upload =
        registry.begin(
            CreateVersionHeader.newBuilder()
                .setModelName(model)
                .setManifest(
                    ModelManifest.newBuilder()
                        .putMetrics("pde_error", pdeError)
                        .addFiles(
                            FileEntry.newBuilder()
                                .setName("model.onnx")
                                .setSizeBytes(data.length)
                                .setSha256(sha256(data))))
                .build());
    upload.accept(
        FileChunk.newBuilder()
            .setFileName("model.onnx")
            .setData(ByteString.copyFrom(data))
            .build());
    return registry.commit(upload, "tester").getManifest();
  }

  @Test
  void conditionalWritesAreHonouredByTheStore() throws Exception {
    String etag = store.putIfAbsent("k", "a".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> store.putIfAbsent("k", new byte[1]))
        .isInstanceOf(PreconditionFailedException.class);
    String next = store.putIfMatch("k", "b".getBytes(StandardCharsets.UTF_8), etag);
    assertThatThrownBy(() -> store.putIfMatch("k", new byte[1], etag))
        .isInstanceOf(PreconditionFailedException.class);
    assertThat(store.get("k").orElseThrow().etag()).isEqualTo(next);
  }

  @Test
  void versionsAreNumberedWithoutGapsUnderConcurrentUploads() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<ModelManifest>> futures = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      byte[] data = ("model " + i).getBytes(StandardCharsets.UTF_8);
      futures.add(pool.submit(() -> create("m", data, 0.1)));
    }
    List<Long> versions = new ArrayList<>();
    for (Future<ModelManifest> future : futures) {
      versions.add(future.get().getVersion());
    }
    pool.shutdown();
    assertThat(versions).containsExactlyInAnyOrder(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
    assertThat(
            registry
                .listVersions(
                    ListVersionsRequest.newBuilder().setModelName("m").setPageSize(5).build())
                .getVersionsList())
        .extracting(ModelManifest::getVersion)
        .containsExactly(8L, 7L, 6L, 5L, 4L);
  }

  @Test
  void anUploadInterruptedDuringItsCommitIsRemovedAtStartWithoutLeavingAGap() throws Exception {
    create("m", new byte[] {1}, 0.1);
    // what a process killed between its claim and its manifest leaves behind
    store.putIfAbsent(Layout.claim("m", 2), new byte[] {1});
    store.put(Layout.file("m", 2, "model.onnx"), new byte[] {9, 9});
    registry.cleanUp(false);
    assertThat(store.exists(Layout.claim("m", 2)))
        .as("a recent claim may be a live upload")
        .isTrue();
    registry.cleanUp(true);
    assertThat(store.list(Layout.version("m", 2))).isEmpty();
    assertThat(create("m", new byte[] {2}, 0.1).getVersion()).isEqualTo(2);
  }

  @Test
  void aFileOverS3ProxysLimitForSignedBodiesIsStreamedAndComesBackWhole() throws Exception {
    int chunk = 4 * 1024 * 1024;
    int chunks = 40; // 160 MiB: S3Proxy refuses a signed (not streamed) body over 128 MiB
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    java.util.Random random = new java.util.Random(5);
    byte[] buffer = new byte[chunk];
    for (int i = 0; i < chunks; i++) {
      random.nextBytes(buffer);
      digest.update(buffer);
    }
    long size = (long) chunk * chunks;
    Upload upload =
        registry.begin(
            CreateVersionHeader.newBuilder()
                .setModelName("large")
                .setManifest(
                    ModelManifest.newBuilder()
                        .addFiles(
                            FileEntry.newBuilder()
                                .setName("model.onnx")
                                .setSizeBytes(size)
                                .setSha256(HexFormat.of().formatHex(digest.digest()))))
                .build());
    random = new java.util.Random(5);
    for (int i = 0; i < chunks; i++) {
      random.nextBytes(buffer);
      upload.accept(
          FileChunk.newBuilder()
              .setFileName("model.onnx")
              .setOffset((long) i * chunk)
              .setData(ByteString.copyFrom(buffer))
              .build());
    }
    ModelManifest manifest = registry.commit(upload, "t").getManifest();
    var file =
        registry.openFile(
            VersionSelector.newBuilder().setModelName("large").setVersion(1).build(), "model.onnx");
    MessageDigest back = MessageDigest.getInstance("SHA-256");
    long read = 0;
    try (var in = file.data()) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        back.update(buffer, 0, n);
        read += n;
      }
    }
    assertThat(read).isEqualTo(size);
    assertThat(HexFormat.of().formatHex(back.digest())).isEqualTo(manifest.getFiles(0).getSha256());
  }

  @Test
  void aShaMismatchIsRejectedAtTheLastChunkAndNothingIsWritten() throws Exception {
    byte[] data = random(3 * CHUNK, 8);
    byte[] other = data.clone();
    other[other.length - 1] ^= 1;
    Upload upload = registry.begin(header("m", "model.onnx", other));
    upload.accept(chunk("model.onnx", data, 0, CHUNK));
    upload.accept(chunk("model.onnx", data, CHUNK, CHUNK));
    assertThatThrownBy(() -> upload.accept(chunk("model.onnx", data, 2 * CHUNK, CHUNK)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("model.onnx").contains("sha256");
            });
    upload.discard(); // what the gRPC layer does with a failed stream
    assertThat(store.list("models/")).isEmpty();
    assertThat(bucketFiles()).as("no partial object in the store's folder").isEmpty();
    assertThat(create("m", new byte[] {1}, 0.1).getVersion())
        .as("the number is given back")
        .isEqualTo(1);
  }

  @Test
  void aVersionDeclaringMoreFilesThanTheLimitIsRefusedBeforeAnythingIsClaimed() throws Exception {
    ModelManifest.Builder manifest = ModelManifest.newBuilder();
    for (int f = 0; f <= Upload.MAX_FILES; f++) {
      manifest.addFiles(entry("file-" + f + ".bin", new byte[] {(byte) f}));
    }
    assertThatThrownBy(
            () ->
                registry.begin(
                    CreateVersionHeader.newBuilder()
                        .setModelName("m")
                        .setManifest(manifest)
                        .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo("manifest.files declares 65 files, over the limit of 64 per version");
            });
    assertThat(store.list("models/")).isEmpty();
  }

  @Test
  void aShortFileIsRejectedAtCommitAndNothingIsWritten() throws Exception {
    byte[] data = random(2 * CHUNK, 9);
    Upload upload = registry.begin(header("m", "model.onnx", data));
    upload.accept(chunk("model.onnx", data, 0, CHUNK));
    assertThat(store.list("models/"))
        .extracting(ListedObject::key)
        .as("claimed, and the file not under its key while its bytes are missing")
        .contains(claim("m", 1))
        .doesNotContain(Layout.file("m", 1, "model.onnx"));
    assertThatThrownBy(() -> registry.commit(upload, "t"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getDescription()).contains("received " + CHUNK));
    assertThat(store.list("models/")).isEmpty();
    assertThat(bucketFiles()).isEmpty();
  }

  @Test
  void aDiscardedUploadStopsItsPutsAndLeavesNothing() throws Exception {
    byte[] first = random(CHUNK, 10);
    byte[] second = random(3 * CHUNK, 11);
    Upload upload =
        registry.begin(
            CreateVersionHeader.newBuilder()
                .setModelName("m")
                .setManifest(
                    ModelManifest.newBuilder()
                        .addFiles(entry("a.onnx", first))
                        .addFiles(entry("b.onnx", second)))
                .build());
    upload.accept(chunk("a.onnx", first, 0, CHUNK)); // a.onnx is whole and stored
    upload.accept(chunk("b.onnx", second, 0, CHUNK)); // b.onnx's PUT is under way
    awaitStored(Layout.file("m", 1, "a.onnx"));
    upload.discard();
    assertThat(store.list("models/")).isEmpty();
    assertThat(bucketFiles()).isEmpty();
  }

  @Test
  void aProgressingUploadKeepsItsNumberPastTheClaimTtlAndAStalledOneLosesIt() throws Exception {
    Registry shortTtl = registry(Duration.ofSeconds(3));
    byte[] data = random(6 * 1000, 12);
    Upload slow = shortTtl.begin(header("m", "model.onnx", data));
    int offset = 0;
    for (int i = 0; i < 4; i++, offset += 1000) {
      Thread.sleep(1000);
      slow.accept(chunk("model.onnx", data, offset, 1000));
    }
    Upload second = shortTtl.begin(header("m", "model.onnx", data));
    assertThat(second.claim().version).as("the slow upload kept version 1").isEqualTo(2);

    Thread.sleep(3500); // the slow upload stalls past the TTL
    Upload third = shortTtl.begin(header("m", "model.onnx", data));
    assertThat(third.claim().version).as("the stalled claim was taken over").isEqualTo(1);
    int stalledAt = offset;
    assertThatThrownBy(() -> slow.accept(chunk("model.onnx", data, stalledAt, 1000)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
              assertThat(e.getStatus().getDescription()).contains("claim TTL");
            });
    slow.discard();
    assertThat(store.exists(claim("m", 1)))
        .as("the loser leaves the new owner's claim alone")
        .isTrue();

    for (Upload upload : List.of(third, second)) {
      upload.accept(chunk("model.onnx", data, 0, data.length));
    }
    assertThat(shortTtl.commit(third, "t").getManifest().getVersion()).isEqualTo(1);
    assertThat(shortTtl.commit(second, "t").getManifest().getVersion()).isEqualTo(2);
    assertThat(store.list("models/m/versions/"))
        .extracting(ListedObject::key)
        .noneMatch(k -> k.endsWith(".claim"));
  }

  @Test
  void unfinishedMultipartUploadsAreAbortedByTheCleanUp() throws Exception {
    // what an earlier registry version (files over 64 MiB went up in parts) leaves when killed
    String key = Layout.file("old", 1, "model.onnx");
    try (var minio =
        io.minio.MinioAsyncClient.builder()
            .endpoint(s3.endpoint())
            .credentials("access", "secret-secret")
            .region("us-east-1")
            .build()) {
      String uploadId =
          minio
              .createMultipartUpload(
                  io.minio.CreateMultipartUploadArgs.builder().bucket("test").object(key).build())
              .get()
              .result()
              .uploadId();
      byte[] part = random(CHUNK, 13);
      minio
          .uploadPart(
              io.minio.UploadPartArgs.builder()
                  .bucket("test")
                  .object(key)
                  .uploadId(uploadId)
                  .partNumber(1)
                  .data(part, part.length)
                  .build())
          .get();
    }
    assertThat(store.pendingUploads("models/"))
        .extracting(ObjectStore.PendingUpload::key)
        .containsExactly(key);

    registry.cleanUp(false);
    assertThat(store.pendingUploads("models/")).as("a recent one may be live").hasSize(1);
    registry.cleanUp(true);
    assertThat(store.pendingUploads("models/")).isEmpty();
    assertThat(bucketFiles()).as("its parts are gone from the store's folder").isEmpty();
  }

  @Test
  void aStoreThatRefusesTheCredentialsIsMisconfiguredNotUnavailable() throws Exception {
    try (ObjectStore wrong =
        new ObjectStore(s3.endpoint(), "access", "not-the-secret", "test", Duration.ofSeconds(2))) {
      Registry misconfigured =
          new Registry(
              wrong, 1 << 30, Duration.ofMinutes(10), Clock.systemUTC(), new SimpleMeterRegistry());
      CreateVersionHeader oneByte = header("m", "model.onnx", new byte[] {1});
      for (Runnable call :
          List.<Runnable>of(
              () ->
                  misconfigured.getVersion(
                      VersionSelector.newBuilder().setModelName("m").setVersion(1).build()),
              () -> misconfigured.begin(oneByte))) {
        assertThatThrownBy(call::run)
            .isInstanceOf(StoreMisconfiguredException.class)
            .hasMessageContaining("SignatureDoesNotMatch")
            .hasMessageContaining("piddm.registry.s3.secret-key");
      }
      assertThat(wrong.ping()).isFalse();
      assertThat(wrong.problem()).get().isInstanceOf(StoreMisconfiguredException.class);
    }
    try (ObjectStore noBucket =
        new ObjectStore(
            s3.endpoint(), "access", "secret-secret", "absent", Duration.ofSeconds(2))) {
      assertThatThrownBy(() -> noBucket.get("models/m/versions/1/manifest.json"))
          .isInstanceOf(StoreMisconfiguredException.class)
          .hasMessageContaining("NoSuchBucket")
          .hasMessageContaining("bucket absent does not exist");
    }
  }

  @Test
  void sixteenRacingSetAliasCallsHaveExactlyOneWinner() throws Exception {
    create("m", new byte[] {1}, 0.1);
    create("m", new byte[] {2}, 0.1);
    registry.setAlias(req("m", "prod", 1, 0), "t");
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Callable<Boolean>> calls = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      calls.add(
          () -> {
            try {
              registry.setAlias(req("m", "prod", 2, 1), "racer");
              return true;
            } catch (StatusRuntimeException e) {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
              return false;
            }
          });
    }
    long winners = 0;
    for (Future<Boolean> f : pool.invokeAll(calls)) {
      winners += f.get() ? 1 : 0;
    }
    pool.shutdown();
    assertThat(winners).isEqualTo(1);
    var alias = registry.getAlias("m", "prod").getAlias();
    assertThat(alias.getRevision()).isEqualTo(2);
    assertThat(alias.getVersion()).isEqualTo(2);
    assertThat(
            registry
                .history(
                    GetAliasHistoryRequest.newBuilder().setModelName("m").setAlias("prod").build())
                .getMovesList())
        .extracting(m -> m.getRevision())
        .containsExactly(2L, 1L);
  }

  @Test
  void gatesBlockAndRollbackRestores() throws Exception {
    create("m", new byte[] {1}, 0.5);
    create("m", new byte[] {2}, 0.01);
    registry.setPolicy(
        AliasPolicy.newBuilder()
            .setModelName("m")
            .setAlias("production")
            .addRules(
                GateRule.newBuilder()
                    .setMetricBound(
                        MetricBound.newBuilder()
                            .setMetric("pde_error")
                            .setComparison(Comparison.COMPARISON_LESS_OR_EQUAL)
                            .setThreshold(0.1)))
            .addRules(
                GateRule.newBuilder()
                    .setPreviouslyOnAlias(PreviouslyOnAlias.newBuilder().setAlias("staging")))
            .build());
    assertThatThrownBy(() -> registry.setAlias(req("m", "production", 1, 0), "t"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getStatus().getDescription()).contains("pde_error");
            });
    assertThatThrownBy(() -> registry.setAlias(req("m", "production", 2, 0), "t"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getDescription()).contains("previously_on_alias"));
    registry.setAlias(req("m", "staging", 1, 0), "t");
    registry.setAlias(req("m", "staging", 2, 1), "t");
    registry.setAlias(req("m", "production", 2, 0), "t");
    var rolled =
        registry.rollback(
            RollbackAliasRequest.newBuilder().setModelName("m").setAlias("staging").build(), "t");
    assertThat(rolled.getVersion()).isEqualTo(1);
    assertThat(rolled.getRevision()).isEqualTo(3);
    assertThat(
            registry
                .getVersion(
                    VersionSelector.newBuilder().setModelName("m").setAlias("staging").build())
                .getVersion())
        .isEqualTo(1);
    assertThatThrownBy(
            () ->
                registry.rollback(
                    RollbackAliasRequest.newBuilder()
                        .setModelName("m")
                        .setAlias("production")
                        .build(),
                    "t"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
  }

  @Test
  void aMoverThatDiedAfterItsHistoryEntryIsCompletedByTheNextReader() throws Exception {
    create("m", new byte[] {1}, 0.1);
    create("m", new byte[] {2}, 0.1);
    registry.setAlias(req("m", "prod", 1, 0), "t");
    // what a mover leaves when it dies between the history entry and the alias record
    var entry =
        io.piddm.proto.v1.AliasMove.newBuilder()
            .setModelName("m")
            .setAlias("prod")
            .setFromVersion(1)
            .setToVersion(2)
            .setRevision(2)
            .setActor("ghost")
            .build();
    store.putIfAbsent(Layout.historyEntry("m", "prod", 2), Json.write(entry));
    var alias = registry.getAlias("m", "prod").getAlias();
    assertThat(alias.getRevision()).isEqualTo(2);
    assertThat(alias.getVersion()).isEqualTo(2);
    assertThat(alias.getUpdatedBy()).isEqualTo("ghost");
  }

  @Test
  void anOutageIsUnavailableAndHealsWhenTheStoreReturns() throws Exception {
    create("m", new byte[] {1}, 0.1);
    int port = s3.port();
    s3.close();
    long start = System.nanoTime();
    assertThatThrownBy(
            () ->
                registry.getVersion(
                    VersionSelector.newBuilder().setModelName("m").setVersion(1).build()))
        .isInstanceOf(StoreUnavailableException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    assertThat(store.ping()).isFalse();
    s3 = EmbeddedS3.start(dir.resolve("s3"), "127.0.0.1", port, "access", "secret-secret");
    assertThat(store.ping()).isTrue();
    assertThat(
            registry
                .getVersion(VersionSelector.newBuilder().setModelName("m").setVersion(1).build())
                .getVersion())
        .isEqualTo(1);
  }

  private static SetAliasRequest req(String model, String alias, long version, long expected) {
    return SetAliasRequest.newBuilder()
        .setModelName(model)
        .setAlias(alias)
        .setVersion(version)
        .setExpectedRevision(expected)
        .build();
  }
}
