package io.piddm.service.testing;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.piddm.probe.ServiceProbe;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every service must do from its first commit, checked over a real socket against the booted
 * service: grpc.health.v1 says SERVING, reflection lists the service, /q/health live and ready are
 * UP, /q/metrics carries a gRPC server histogram, and every RPC not yet implemented answers
 * UNIMPLEMENTED naming itself. Each service's test extends this with its descriptor.
 */
public abstract class ServiceSmokeTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private ManagedChannel channel;

  /** The services this Quarkus app serves besides health and reflection. */
  protected abstract List<ServiceDescriptor> services();

  /** The bearer token calls that need one carry, or null when the service asks for none. */
  protected String token() {
    return null;
  }

  /** RPCs that already have a real implementation (and their own tests). */
  protected Set<String> implementedRpcs() {
    return Set.of();
  }

  @BeforeEach
  void connect() {
    int port = ConfigProvider.getConfig().getValue("quarkus.grpc.server.test-port", Integer.class);
    channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void grpcHealthIsServingForTheServerAndTheService() {
    try (ServiceProbe probe = ServiceProbe.over(channel)) {
      assertThat(probe.health("", TIMEOUT)).isEqualTo(ServingStatus.SERVING);
      for (ServiceDescriptor service : services()) {
        assertThat(probe.health(service.getName(), TIMEOUT))
            .as(service.getName())
            .isEqualTo(ServingStatus.SERVING);
      }
    }
  }

  @Test
  void reflectionListsTheServiceAndHealth() {
    try (ServiceProbe probe = ServiceProbe.over(channel)) {
      assertThat(probe.reflectedServices(TIMEOUT))
          .contains("grpc.health.v1.Health")
          .containsAll(services().stream().map(ServiceDescriptor::getName).toList());
    }
  }

  @Test
  void httpLivenessAndReadinessAreUp() {
    given().get("/q/health/live").then().statusCode(200);
    given().get("/q/health/ready").then().statusCode(200);
  }

  @Test
  void metricsExposeTheGrpcServerTimerAsAHistogram() {
    try (ServiceProbe probe = ServiceProbe.over(channel)) {
      probe.health("", TIMEOUT);
    }
    String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
    assertThat(metrics)
        .contains("grpc_server_processing_duration_seconds_bucket{")
        .contains("le=\"+Inf\"");
  }

  @Test
  void everyRpcNotYetBuiltAnswersUnimplementedNamingItself() {
    var methods = services().stream().flatMap(s -> s.getMethods().stream()).toList();
    assertThat(methods).isNotEmpty();
    for (MethodDescriptor<?, ?> method : methods) {
      if (implementedRpcs().contains(method.getBareMethodName())) {
        continue;
      }
      assertThatThrownBy(() -> callWithEmptyRequest(method))
          .as(method.getFullMethodName())
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
                assertThat(e.getStatus().getDescription())
                    .startsWith(method.getBareMethodName() + " is not implemented yet: ");
              });
    }
  }

  /**
   * Bytes that cannot be any protobuf message: a field tag with wire type 7, which does not exist.
   */
  private static final byte[] NOT_A_MESSAGE = {(byte) 0x0f, (byte) 0xff, (byte) 0xff};

  @Test
  void everyRpcAnswersBytesThatAreNotAMessageWithInvalidArgumentAndKeepsServing() {
    var bytes =
        new MethodDescriptor.Marshaller<byte[]>() {
          @Override
          public java.io.InputStream stream(byte[] value) {
            return new java.io.ByteArrayInputStream(value);
          }

          @Override
          public byte[] parse(java.io.InputStream stream) {
            try {
              return stream.readAllBytes();
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }
        };
    var options = CallOptions.DEFAULT.withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    for (ServiceDescriptor service : services()) {
      for (MethodDescriptor<?, ?> method : service.getMethods()) {
        MethodDescriptor<byte[], byte[]> raw = method.toBuilder(bytes, bytes).build();
        Channel authorised = channel;
        if (token() != null) {
          Metadata headers = new Metadata();
          headers.put(
              Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
              "Bearer " + token());
          authorised =
              ClientInterceptors.intercept(
                  channel, MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        Channel target = authorised;
        assertThatThrownBy(
                () -> {
                  switch (raw.getType()) {
                    case UNARY ->
                        ClientCalls.blockingUnaryCall(target, raw, options, NOT_A_MESSAGE);
                    case SERVER_STREAMING ->
                        ClientCalls.blockingServerStreamingCall(target, raw, options, NOT_A_MESSAGE)
                            .hasNext();
                    default -> {
                      var done = new CompletableFuture<byte[]>();
                      StreamObserver<byte[]> requests =
                          ClientCalls.asyncClientStreamingCall(
                              target.newCall(raw, options), completing(done));
                      requests.onNext(NOT_A_MESSAGE);
                      requests.onCompleted();
                      try {
                        done.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                      } catch (java.util.concurrent.ExecutionException e) {
                        throw e.getCause();
                      }
                    }
                  }
                })
            .as(method.getFullMethodName())
            .isInstanceOfSatisfying(
                StatusRuntimeException.class,
                e -> {
                  assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                  assertThat(e.getStatus().getDescription())
                      .startsWith(
                          "the request is not a valid "
                              + emptyRequest(method).getDescriptorForType().getFullName()
                              + " message: ");
                });
      }
    }
    try (ServiceProbe probe = ServiceProbe.over(channel)) {
      assertThat(probe.health("", TIMEOUT)).isEqualTo(ServingStatus.SERVING);
    }
  }

  @SuppressWarnings("unchecked")
  private <Q, R> void callWithEmptyRequest(MethodDescriptor<Q, R> method) throws Exception {
    Q request = (Q) emptyRequest(method);
    var options = CallOptions.DEFAULT.withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    switch (method.getType()) {
      case UNARY -> ClientCalls.blockingUnaryCall(channel, method, options, request);
      case SERVER_STREAMING ->
          ClientCalls.blockingServerStreamingCall(channel, method, options, request).hasNext();
      case CLIENT_STREAMING, BIDI_STREAMING -> {
        var done = new CompletableFuture<R>();
        StreamObserver<Q> requests =
            ClientCalls.asyncClientStreamingCall(
                channel.newCall(method, options), completing(done));
        requests.onNext(request);
        requests.onCompleted();
        try {
          done.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          throw (Exception) e.getCause();
        }
      }
      default -> throw new IllegalStateException("unknown method type " + method.getType());
    }
  }

  private static Message emptyRequest(MethodDescriptor<?, ?> method) {
    var marshaller = (MethodDescriptor.PrototypeMarshaller<?>) method.getRequestMarshaller();
    return ((Message) marshaller.getMessagePrototype()).getDefaultInstanceForType();
  }

  private static <R> StreamObserver<R> completing(CompletableFuture<R> done) {
    return new StreamObserver<>() {
      @Override
      public void onNext(R value) {
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
}
