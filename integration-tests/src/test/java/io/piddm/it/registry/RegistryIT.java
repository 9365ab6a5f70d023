package io.piddm.it.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.piddm.proto.v1.AliasEvent;
import io.piddm.proto.v1.AliasPolicy;
import io.piddm.proto.v1.CreateVersionRequest;
import io.piddm.proto.v1.CreateVersionResponse;
import io.piddm.proto.v1.DownloadRequest;
import io.piddm.proto.v1.FileEntry;
import io.piddm.proto.v1.GateRule;
import io.piddm.proto.v1.GetAliasHistoryRequest;
import io.piddm.proto.v1.GetAliasRequest;
import io.piddm.proto.v1.GetVersionRequest;
import io.piddm.proto.v1.ListModelsRequest;
import io.piddm.proto.v1.ListVersionsRequest;
import io.piddm.proto.v1.MetricBound;
import io.piddm.proto.v1.ModelManifest;
import io.piddm.proto.v1.RegistryServiceGrpc;
import io.piddm.proto.v1.SetAliasPolicyRequest;
import io.piddm.proto.v1.SetAliasRequest;
import io.piddm.proto.v1.VersionSelector;
import io.piddm.proto.v1.WatchAliasesRequest;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The registry as users run it (java -jar, embedded S3Proxy over a data folder), over real gRPC
 * sockets: round trips, checksums, a SIGKILL mid-upload, restarts, racing promotions, the watch
 * stream and the bad-input table.
 */
class RegistryIT {

  @TempDir static Path root;
  private static RegistryNode node;

  @BeforeAll
  static void start() throws Exception {
    node = RegistryNode.start(root.resolve("data"), Map.of());
    node.upload("known", "model.onnx", bytes(1000, 1), 0.01);
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
  }

  static byte[] bytes(int size, long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }

  @Test
  void aFiftyMegabyteArtifactMakesTheRoundTrip() throws Exception {
    byte[] data = bytes(50 * 1024 * 1024, 7);
    int largestChunk = 4 * 1024 * 1024; // the contract's limit is inclusive
    CreateVersionResponse created =
        node.createVersion(
            node.asyncWriter(),
            RegistryNode.messages(
                "big",
                "model.onnx",
                data,
                RegistryNode.manifestFor("model.onnx", data, 0.02),
                largestChunk));
    assertThat(created.getManifest().getVersion()).isEqualTo(1);
    assertThat(created.getManifest().getCreatedAt().getSeconds()).isPositive();
    byte[] back = node.download("big", 1, "model.onnx");
    assertThat(back).isEqualTo(data);
  }

  @Test
  void aChecksumMismatchIsRejectedNamingTheFileAndNothingIsWritten() throws Exception {
    byte[] data = bytes(3 * 1024 * 1024 + 17, 3);
    ModelManifest lying =
        RegistryNode.manifestFor("model.onnx", data, 0.1).toBuilder()
            .setFiles(
                0,
                FileEntry.newBuilder()
                    .setName("model.onnx")
                    .setSizeBytes(data.length)
                    .setSha256(RegistryNode.sha256(bytes(10, 4))))
            .build();
    Map<String, Long> before = tree();
    assertThatThrownBy(
            () ->
                node.createVersion(
                    node.asyncWriter(), RegistryNode.messages("liar", "model.onnx", data, lying)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("model.onnx").contains("sha256");
            });
    assertThat(tree()).isEqualTo(before);
  }

  @Test
  void aKilledUploadLeavesNothingVisibleAndARestartKeepsEverything() throws Exception {
    byte[] kept = bytes(2 * 1024 * 1024, 11);
    node.upload("kept", "model.onnx", kept, 0.01);
    node.writer()
        .setAlias(
            SetAliasRequest.newBuilder()
                .setModelName("kept")
                .setAlias("staging")
                .setVersion(1)
                .setReason("before the kill")
                .build());

    byte[] half = bytes(30 * 1024 * 1024, 12);
    StreamObserver<CreateVersionRequest> upload =
        node.asyncWriter().createVersion(RegistryNode.completing(new CompletableFuture<>()));
    upload.onNext(RegistryNode.header("half", RegistryNode.manifestFor("model.onnx", half, 0.1)));
    for (int offset = 0; offset < 12 * RegistryNode.CHUNK; offset += RegistryNode.CHUNK) {
      upload.onNext(RegistryNode.chunk("model.onnx", offset, half, offset, RegistryNode.CHUNK));
    }
    awaitCondition(
        () -> tree().keySet().stream().anyMatch(k -> k.contains("/half/") && !k.endsWith(".claim")),
        "the upload's bytes to reach the store");
    node.kill();

    node = node.restart();

    assertThatThrownBy(
            () ->
                node.reader()
                    .listVersions(ListVersionsRequest.newBuilder().setModelName("half").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    assertThat(tree().keySet())
        .as("leftovers of the killed upload (claim, partial file)")
        .noneMatch(k -> k.contains("/half/"));

    assertThat(node.download("kept", 1, "model.onnx")).isEqualTo(kept);
    var alias =
        node.reader()
            .getAlias(GetAliasRequest.newBuilder().setModelName("kept").setAlias("staging").build())
            .getAlias();
    assertThat(alias.getVersion()).isEqualTo(1);
    assertThat(alias.getReason()).isEqualTo("before the kill");

    assertThat(node.upload("half", "model.onnx", half, 0.1).getManifest().getVersion())
        .as("the killed upload left no gap")
        .isEqualTo(1);
  }

  @Test
  void sixteenRacingSetAliasCallsHaveOneWinnerPerRevisionAndAFullHistory() throws Exception {
    for (int i = 0; i < 4; i++) {
      node.upload("race", "model.onnx", bytes(100, 100 + i), 0.01);
    }
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      for (long expected = 0; expected < 3; expected++) {
        long revision = expected;
        List<Callable<Boolean>> calls = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          long version = 1 + (i % 4);
          calls.add(
              () -> {
                try {
                  node.writer()
                      .setAlias(
                          SetAliasRequest.newBuilder()
                              .setModelName("race")
                              .setAlias("production")
                              .setVersion(version)
                              .setExpectedRevision(revision)
                              .setReason("racer " + version)
                              .build());
                  return true;
                } catch (StatusRuntimeException e) {
                  assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
                  return false;
                }
              });
        }
        int winners = 0;
        for (Future<Boolean> result : pool.invokeAll(calls)) {
          winners += result.get() ? 1 : 0;
        }
        assertThat(winners).as("winners at expected revision " + expected).isEqualTo(1);
      }
    } finally {
      pool.shutdown();
    }
    var history =
        node.reader()
            .getAliasHistory(
                GetAliasHistoryRequest.newBuilder()
                    .setModelName("race")
                    .setAlias("production")
                    .build())
            .getMovesList();
    assertThat(history).extracting(m -> m.getRevision()).containsExactly(3L, 2L, 1L);
    var alias =
        node.reader()
            .getAlias(
                GetAliasRequest.newBuilder().setModelName("race").setAlias("production").build())
            .getAlias();
    assertThat(alias.getRevision()).isEqualTo(3);
    assertThat(alias.getVersion()).isEqualTo(history.get(0).getToVersion());
  }

  @Test
  void watchSendsTheCurrentStateThenChangesAndResumesAfterARestartFromSeenRevisions()
      throws Exception {
    node.upload("watched", "model.onnx", bytes(10, 21), 0.01);
    node.upload("watched", "model.onnx", bytes(10, 22), 0.01);
    setAlias("watched", "canary", 1, 0);
    BlockingQueue<AliasEvent> events = new LinkedBlockingQueue<>();
    var watch = watch(WatchAliasesRequest.newBuilder().setModelName("watched").build(), events);
    AliasEvent initial = events.poll(10, TimeUnit.SECONDS);
    assertThat(initial).isNotNull();
    assertThat(initial.getInitial()).isTrue();
    assertThat(initial.getAlias().getVersion()).isEqualTo(1);

    setAlias("watched", "canary", 2, 1);
    AliasEvent change = events.poll(10, TimeUnit.SECONDS);
    assertThat(change).isNotNull();
    assertThat(change.getInitial()).isFalse();
    assertThat(change.getAlias().getVersion()).isEqualTo(2);
    assertThat(change.getAlias().getRevision()).isEqualTo(2);
    watch.cancel("done", null);

    node = node.restart(); // the client resumes against a new registry process
    BlockingQueue<AliasEvent> resumed = new LinkedBlockingQueue<>();
    var again =
        watch(
            WatchAliasesRequest.newBuilder()
                .setModelName("watched")
                .putSeenRevisions("watched/canary", 2)
                .build(),
            resumed);
    assertThat(resumed.poll(2, TimeUnit.SECONDS)).as("nothing newer than what was seen").isNull();
    setAlias("watched", "canary", 1, 2);
    AliasEvent next = resumed.poll(10, TimeUnit.SECONDS);
    assertThat(next).isNotNull();
    assertThat(next.getAlias().getRevision()).isEqualTo(3);
    again.cancel("done", null);
  }

  @Test
  void gatesAreEnforcedOverGrpc() throws Exception {
    node.upload("gated", "model.onnx", bytes(10, 31), 0.5);
    node.writer()
        .setAliasPolicy(
            SetAliasPolicyRequest.newBuilder()
                .setPolicy(
                    AliasPolicy.newBuilder()
                        .setModelName("gated")
                        .setAlias("production")
                        .addRules(
                            GateRule.newBuilder()
                                .setMetricBound(
                                    MetricBound.newBuilder()
                                        .setMetric("pde_error")
                                        .setComparisonValue(1)
                                        .setThreshold(0.1))))
                .build());
    assertThatThrownBy(() -> setAlias("gated", "production", 1, 0))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getStatus().getDescription()).contains("pde_error");
            });
  }

  @Test
  void listingsPageAndAliasesSelectVersionsAndMetricsCount() throws Exception {
    for (int i = 0; i < 3; i++) {
      node.upload("listed", "model.onnx", bytes(20, 40 + i), 0.01 * i);
    }
    setAlias("listed", "staging", 2, 0);
    var first =
        node.reader()
            .listVersions(
                ListVersionsRequest.newBuilder().setModelName("listed").setPageSize(2).build());
    assertThat(first.getVersionsList())
        .extracting(ModelManifest::getVersion)
        .containsExactly(3L, 2L);
    var second =
        node.reader()
            .listVersions(
                ListVersionsRequest.newBuilder()
                    .setModelName("listed")
                    .setPageSize(2)
                    .setPageToken(first.getNextPageToken())
                    .build());
    assertThat(second.getVersionsList()).extracting(ModelManifest::getVersion).containsExactly(1L);
    assertThat(second.getNextPageToken()).isEmpty();

    var models = node.reader().listModels(ListModelsRequest.getDefaultInstance()).getModelsList();
    var listed = models.stream().filter(m -> m.getModelName().equals("listed")).findFirst();
    assertThat(listed).isPresent();
    assertThat(listed.get().getLatestVersion()).isEqualTo(3);
    assertThat(listed.get().getVersionCount()).isEqualTo(3);
    assertThat(listed.get().getAliasesList())
        .extracting(a -> a.getAlias())
        .containsExactly("staging");

    var viaAlias =
        node.reader()
            .getVersion(
                GetVersionRequest.newBuilder()
                    .setSelector(
                        VersionSelector.newBuilder().setModelName("listed").setAlias("staging"))
                    .build());
    assertThat(viaAlias.getManifest().getVersion()).isEqualTo(2);
    assertThat(viaAlias.getManifest().getMetricsMap()).containsEntry("pde_error", 0.01);

    String metrics =
        io.piddm.probe.ServiceProbe.httpGet(
                URI.create(
                    "http://localhost:" + node.process().endpoint().httpPort() + "/q/metrics"),
                java.time.Duration.ofSeconds(5))
            .body();
    assertThat(metrics)
        .contains("piddm_registry_bytes_in_total")
        .contains("piddm_registry_bytes_out_total")
        .contains("piddm_registry_alias_moves_total")
        .contains("piddm_registry_versions{")
        .contains("grpc_server_processing_duration_seconds_bucket{");
  }

  static Stream<Arguments> badInputs() {
    byte[] data = bytes(64, 5);
    ModelManifest good = RegistryNode.manifestFor("model.onnx", data, 0.1);
    return Stream.of(
        upload("empty model name", "", good, Status.Code.INVALID_ARGUMENT),
        upload("huge model name", "m".repeat(300), good, Status.Code.INVALID_ARGUMENT),
        upload("path in model name", "../etc", good, Status.Code.INVALID_ARGUMENT),
        upload("upper-case model name", "Model", good, Status.Code.INVALID_ARGUMENT),
        upload(
            "negative size",
            "bad",
            good.toBuilder().setFiles(0, good.getFiles(0).toBuilder().setSizeBytes(-1)).build(),
            Status.Code.INVALID_ARGUMENT),
        upload(
            "file over the limit",
            "bad",
            good.toBuilder()
                .setFiles(0, good.getFiles(0).toBuilder().setSizeBytes(1L << 40))
                .build(),
            Status.Code.RESOURCE_EXHAUSTED),
        upload(
            "no files", "bad", good.toBuilder().clearFiles().build(), Status.Code.INVALID_ARGUMENT),
        upload(
            "sha256 not hex",
            "bad",
            good.toBuilder().setFiles(0, good.getFiles(0).toBuilder().setSha256("xyz")).build(),
            Status.Code.INVALID_ARGUMENT),
        upload(
            "file name with a slash",
            "bad",
            good.toBuilder().setFiles(0, good.getFiles(0).toBuilder().setName("a/b")).build(),
            Status.Code.INVALID_ARGUMENT),
        call(
            "chunk over 4 MiB",
            n -> {
              byte[] big = bytes(4 * 1024 * 1024 + 1, 6);
              try {
                n.createVersion(
                    n.asyncWriter(),
                    List.of(
                            RegistryNode.header(
                                "bad", RegistryNode.manifestFor("model.onnx", big, 0.1)),
                            RegistryNode.chunk("model.onnx", 0, big, 0, big.length))
                        .iterator());
              } catch (RuntimeException e) {
                throw e;
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            },
            Status.Code.RESOURCE_EXHAUSTED),
        call(
            "no header",
            n -> {
              try {
                n.createVersion(
                    n.asyncWriter(),
                    List.of(RegistryNode.chunk("model.onnx", 0, data, 0, 10)).iterator());
              } catch (RuntimeException e) {
                throw e;
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            },
            Status.Code.INVALID_ARGUMENT),
        call(
            "missing token",
            n ->
                RegistryServiceGrpc.newBlockingStub(n.channel())
                    .setAlias(setAliasRequest("known", "prod", 1)),
            Status.Code.UNAUTHENTICATED),
        call(
            "wrong token",
            n ->
                RegistryNode.withToken(RegistryServiceGrpc.newBlockingStub(n.channel()), "nope")
                    .setAlias(setAliasRequest("known", "prod", 1)),
            Status.Code.PERMISSION_DENIED),
        call("unknown model", n -> n.reader().getVersion(get("nobody", 1)), Status.Code.NOT_FOUND),
        call(
            "unknown version", n -> n.reader().getVersion(get("known", 99)), Status.Code.NOT_FOUND),
        call(
            "unknown alias",
            n ->
                n.reader()
                    .getAlias(
                        GetAliasRequest.newBuilder()
                            .setModelName("known")
                            .setAlias("nope")
                            .build()),
            Status.Code.NOT_FOUND),
        call(
            "alias to an unknown version",
            n -> n.writer().setAlias(setAliasRequest("known", "prod", 42)),
            Status.Code.NOT_FOUND),
        call(
            "odd alias name",
            n -> n.writer().setAlias(setAliasRequest("known", "Prod!", 1)),
            Status.Code.INVALID_ARGUMENT),
        call(
            "negative page size",
            n ->
                n.reader()
                    .listVersions(
                        ListVersionsRequest.newBuilder()
                            .setModelName("known")
                            .setPageSize(-1)
                            .build()),
            Status.Code.INVALID_ARGUMENT),
        call(
            "forged page token",
            n ->
                n.reader()
                    .listModels(ListModelsRequest.newBuilder().setPageToken("forged!").build()),
            Status.Code.INVALID_ARGUMENT),
        call(
            "unknown file",
            n -> {
              Iterator<?> it =
                  n.reader()
                      .download(
                          DownloadRequest.newBuilder()
                              .setSelector(
                                  VersionSelector.newBuilder().setModelName("known").setVersion(1))
                              .setFileName("nope.onnx")
                              .build());
              it.hasNext();
            },
            Status.Code.NOT_FOUND),
        call(
            "gate without a metric",
            n ->
                n.writer()
                    .setAliasPolicy(
                        SetAliasPolicyRequest.newBuilder()
                            .setPolicy(
                                AliasPolicy.newBuilder()
                                    .setModelName("known")
                                    .setAlias("prod")
                                    .addRules(
                                        GateRule.newBuilder()
                                            .setMetricBound(
                                                MetricBound.newBuilder().setComparisonValue(1))))
                            .build()),
            Status.Code.INVALID_ARGUMENT),
        call(
            "malformed watch filter",
            n ->
                n.reader()
                    .watchAliases(WatchAliasesRequest.newBuilder().setAlias("NO/PE").build())
                    .hasNext(),
            Status.Code.INVALID_ARGUMENT));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInputs")
  void badInputGetsItsStatusAndWritesNothing(
      String what, Consumer<RegistryNode> call, Status.Code expected) throws Exception {
    Map<String, Long> before = tree();
    assertThatThrownBy(() -> call.accept(node))
        .as(what)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).as(what).isEqualTo(expected));
    assertThat(tree()).as(what + ": the bucket is unchanged").isEqualTo(before);
  }

  private static Arguments upload(
      String what, String model, ModelManifest manifest, Status.Code expected) {
    byte[] data = bytes(64, 5);
    return call(
        what,
        n -> {
          try {
            n.createVersion(
                n.asyncWriter(), RegistryNode.messages(model, "model.onnx", data, manifest));
          } catch (RuntimeException e) {
            throw e;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        },
        expected);
  }

  private static Arguments call(String what, Consumer<RegistryNode> call, Status.Code expected) {
    return Arguments.of(what, call, expected);
  }

  private static GetVersionRequest get(String model, long version) {
    return GetVersionRequest.newBuilder()
        .setSelector(VersionSelector.newBuilder().setModelName(model).setVersion(version))
        .build();
  }

  private static SetAliasRequest setAliasRequest(String model, String alias, long version) {
    return SetAliasRequest.newBuilder()
        .setModelName(model)
        .setAlias(alias)
        .setVersion(version)
        .build();
  }

  private static void setAlias(String model, String alias, long version, long expected) {
    node.writer()
        .setAlias(
            SetAliasRequest.newBuilder()
                .setModelName(model)
                .setAlias(alias)
                .setVersion(version)
                .setExpectedRevision(expected)
                .build());
  }

  static io.grpc.ClientCall<?, ?> watch(
      RegistryNode on, WatchAliasesRequest request, BlockingQueue<AliasEvent> events) {
    var call =
        on.channel()
            .newCall(RegistryServiceGrpc.getWatchAliasesMethod(), io.grpc.CallOptions.DEFAULT);
    io.grpc.stub.ClientCalls.asyncServerStreamingCall(
        call,
        request,
        new StreamObserver<>() {
          @Override
          public void onNext(AliasEvent value) {
            events.add(value);
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
    return call;
  }

  private static io.grpc.ClientCall<?, ?> watch(
      WatchAliasesRequest request, BlockingQueue<AliasEvent> events) {
    return watch(node, request, events);
  }

  /** Every object file of the embedded store with its size, to see that nothing was written. */
  private static Map<String, Long> tree() throws IOException {
    Path s3 = node.dataDir().resolve("s3");
    Map<String, Long> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(s3)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        files.put(s3.relativize(p).toString(), Files.size(p));
      }
    }
    return files;
  }

  interface Condition {
    boolean holds() throws Exception;
  }

  static void awaitCondition(Condition condition, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }
}
