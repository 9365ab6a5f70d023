package io.piddm.it.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.piddm.it.FreePorts;
import io.piddm.proto.v1.AliasEvent;
import io.piddm.proto.v1.GetVersionRequest;
import io.piddm.proto.v1.SetAliasRequest;
import io.piddm.proto.v1.VersionSelector;
import io.piddm.proto.v1.WatchAliasesRequest;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two registry processes sharing one bucket on an S3 server this test runs (and stops): moves made
 * on one replica reach the other's watchers and compare-and-set; a storage outage answers
 * UNAVAILABLE quickly, takes readiness down, and heals by itself; a store that refuses the
 * registry's key answers INTERNAL naming the problem, with readiness down until it is fixed.
 */
class RegistryReplicasIT {

  private static final String ACCESS = "it-access";
  private static final String SECRET = "it-secret-key";

  @TempDir static Path root;
  private static int s3Port;
  private static S3Proxy s3;
  private static RegistryNode first;
  private static RegistryNode second;

  @BeforeAll
  static void start() throws Exception {
    s3Port = FreePorts.pick(1)[0];
    s3 = startS3(SECRET);
    Map<String, String> shared =
        Map.of(
            "PIDDM_REGISTRY_S3_ENDPOINT",
            "http://127.0.0.1:" + s3Port,
            "PIDDM_REGISTRY_S3_ACCESS_KEY",
            ACCESS,
            "PIDDM_REGISTRY_S3_SECRET_KEY",
            SECRET,
            "PIDDM_REGISTRY_S3_BUCKET",
            "shared");
    first = RegistryNode.start(root.resolve("first"), shared);
    second = RegistryNode.start(root.resolve("second"), shared);
  }

  /** The test's S3 server over the same folder, accepting {@code secret} for the access key. */
  private static S3Proxy startS3(String secret) throws Exception {
    java.nio.file.Files.createDirectories(root.resolve("bucket"));
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(new FilesystemNio2BlobStore(root.resolve("bucket").toString()))
            .endpoint(URI.create("http://127.0.0.1:" + s3Port))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS, secret)
            .ignoreUnknownHeaders(true)
            .build();
    proxy.start();
    while (!"STARTED".equals(proxy.getState())) {
      Thread.sleep(10);
    }
    return proxy;
  }

  @AfterAll
  static void stop() throws Exception {
    for (RegistryNode node : new RegistryNode[] {first, second}) {
      if (node != null) {
        node.close();
      }
    }
    if (s3 != null) {
      s3.stop();
    }
  }

  @Test
  void aMoveOnOneReplicaReachesTheOtherReplicasWatchAndCompareAndSet() throws Exception {
    first.upload("shared-model", "model.onnx", RegistryIT.bytes(100, 1), 0.01);
    first.upload("shared-model", "model.onnx", RegistryIT.bytes(100, 2), 0.01);
    BlockingQueue<AliasEvent> events = new LinkedBlockingQueue<>();
    var watch =
        RegistryIT.watch(
            second, WatchAliasesRequest.newBuilder().setModelName("shared-model").build(), events);
    Thread.sleep(500);
    long start = System.nanoTime();
    first.writer().setAlias(set(1, 0));
    AliasEvent event = events.poll(5, TimeUnit.SECONDS);
    assertThat(event).as("the other replica's watch sees the move").isNotNull();
    assertThat(event.getAlias().getVersion()).isEqualTo(1);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    watch.cancel("done", null);

    assertThatThrownBy(() -> second.writer().setAlias(set(2, 0)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ABORTED));
    assertThat(second.writer().setAlias(set(2, 1)).getAlias().getRevision()).isEqualTo(2);
  }

  @Test
  void aStorageOutageIsUnavailableQuicklyTakesReadinessDownAndHeals() throws Exception {
    first.upload("outage", "model.onnx", RegistryIT.bytes(100, 3), 0.01);
    GetVersionRequest get =
        GetVersionRequest.newBuilder()
            .setSelector(VersionSelector.newBuilder().setModelName("outage").setVersion(1))
            .build();
    assertThat(first.readiness()).isEqualTo(200);

    s3.stop();
    try {
      long start = System.nanoTime();
      assertThatThrownBy(() -> first.reader().getVersion(get))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
      assertThatThrownBy(() -> first.upload("outage", "model.onnx", RegistryIT.bytes(10, 4), 0.01))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      RegistryIT.awaitCondition(() -> first.readiness() == 503, "readiness to go down");
      RegistryIT.awaitCondition(() -> second.readiness() == 503, "the replica's readiness");
      try (var probe = io.piddm.probe.ServiceProbe.over(first.channel())) {
        assertThat(probe.health("piddm.v1.RegistryService", Duration.ofSeconds(5)))
            .isEqualTo(io.grpc.health.v1.HealthCheckResponse.ServingStatus.NOT_SERVING);
      }
    } finally {
      s3 = startS3(SECRET);
    }
    RegistryIT.awaitCondition(() -> first.readiness() == 200, "readiness to come back");
    try (var probe = io.piddm.probe.ServiceProbe.over(first.channel())) {
      assertThat(probe.health("piddm.v1.RegistryService", Duration.ofSeconds(5)))
          .isEqualTo(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    }
    assertThat(first.reader().getVersion(get).getManifest().getVersion()).isEqualTo(1);
    assertThat(first.upload("outage", "model.onnx", RegistryIT.bytes(10, 5), 0.01))
        .extracting(r -> r.getManifest().getVersion())
        .as("the failed upload left no gap")
        .isEqualTo(2L);
  }

  @Test
  void aStoreThatRefusesTheRegistrysKeyIsInternalNamingTheProblemAndTakesReadinessDown()
      throws Exception {
    first.upload("refused", "model.onnx", RegistryIT.bytes(100, 6), 0.01);
    GetVersionRequest get =
        GetVersionRequest.newBuilder()
            .setSelector(VersionSelector.newBuilder().setModelName("refused").setVersion(1))
            .build();

    s3.stop();
    s3 = startS3("a-rotated-secret"); // the store's key changed; the registries still use the old
    try {
      java.util.function.Consumer<StatusRuntimeException> refused =
          e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
            assertThat(e.getStatus().getDescription())
                .contains("SignatureDoesNotMatch")
                .contains("piddm.registry.s3.secret-key");
          };
      assertThatThrownBy(() -> first.reader().getVersion(get))
          .isInstanceOfSatisfying(StatusRuntimeException.class, refused);
      assertThatThrownBy(() -> first.upload("refused", "model.onnx", RegistryIT.bytes(10, 7), 0.01))
          .isInstanceOfSatisfying(StatusRuntimeException.class, refused);
      // DOWN since the restart began; then the check's data names the refusal
      RegistryIT.awaitCondition(
          () -> {
            var report = first.readinessReport();
            return report.statusCode() == 503
                && report.body().contains("piddm.registry.s3.secret-key");
          },
          "readiness to go down naming the credentials");
      RegistryIT.awaitCondition(() -> second.readiness() == 503, "the replica's readiness");
    } finally {
      s3.stop();
      s3 = startS3(SECRET);
    }
    RegistryIT.awaitCondition(() -> first.readiness() == 200, "readiness to come back");
    assertThat(first.upload("refused", "model.onnx", RegistryIT.bytes(10, 8), 0.01))
        .extracting(r -> r.getManifest().getVersion())
        .as("the refused upload left no gap")
        .isEqualTo(2L);
  }

  private static SetAliasRequest set(long version, long expected) {
    return SetAliasRequest.newBuilder()
        .setModelName("shared-model")
        .setAlias("production")
        .setVersion(version)
        .setExpectedRevision(expected)
        .build();
  }
}
