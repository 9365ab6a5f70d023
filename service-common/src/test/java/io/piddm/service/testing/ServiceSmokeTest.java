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
 * UP, /q/metrics carries a gRPC server histogram, unparsable requests are refused, and generated
 * requests get a considered answer. Each service's test extends this with its descriptor.
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

  /**
   * Bytes that cannot be any protobuf message: a field tag with wire type 7, which does not exist.
   */
  private static final byte[] NOT_A_MESSAGE = {(byte) 0x0f, (byte) 0xff, (byte) 0xff};

  @Test
  void everyRpcAnswersBytesThatAreNotAMessageWithInvalidArgumentAndKeepsServing() {
    for (ServiceDescriptor service : services()) {
      for (MethodDescriptor<?, ?> method : service.getMethods()) {
        assertThatThrownBy(() -> callRaw(method, NOT_A_MESSAGE))
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

  /** Statuses a generated request may never get: each means the service failed, not the caller. */
  private static final Set<Status.Code> FAULTS =
      Set.of(
          Status.Code.UNKNOWN,
          Status.Code.INTERNAL,
          Status.Code.DATA_LOSS,
          Status.Code.UNIMPLEMENTED);

  /**
   * Generated requests per RPC; {@code -Dpiddm.fuzz.cases=5000} for a longer hunt, {@code
   * -Dpiddm.fuzz.seed} to replay another sequence.
   */
  private static final int CASES = Integer.getInteger("piddm.fuzz.cases", 200);

  private static final long SEED = Long.getLong("piddm.fuzz.seed", 20261207L);

  /**
   * What a refused request must leave untouched (e.g. the runs on record, the models and versions
   * stored), read through the service's own API; "" for a service without mutable state.
   */
  protected String observableState() {
    return "";
  }

  /** Whether an RPC may change {@link #observableState()}: only those are checked before/after. */
  protected boolean mutates(MethodDescriptor<?, ?> method) {
    return true;
  }

  /**
   * Valid requests of an RPC, the seeds generated requests are mutated from (a field or three
   * changed at a time), so that generated input also reaches the checks behind the first one.
   */
  protected List<? extends Message> validRequests(MethodDescriptor<?, ?> method) {
    return List.of(emptyRequest(method));
  }

  /** Called with the first response of every accepted request, e.g. to cancel a started run. */
  protected void afterAccepted(MethodDescriptor<?, ?> method, byte[] firstResponse) {}

  /** The channel with the service's bearer token attached, when it has one. */
  protected Channel authorisedChannel() {
    if (token() == null) {
      return channel;
    }
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token());
    return ClientInterceptors.intercept(
        channel, MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  @Test
  void everyRpcAnswersGeneratedRequestsWithADocumentedStatusAndLosesNothing() {
    for (ServiceDescriptor service : services()) {
      for (MethodDescriptor<?, ?> method : service.getMethods()) {
        long started = System.nanoTime();
        var requests =
            WireMessages.of(emptyRequest(method).getDescriptorForType())
                .mix(WireMessages.mutationsOf(validRequests(method)), 70);
        org.quicktheories.QuickTheory.qt()
            .withFixedSeed(SEED ^ method.getFullMethodName().hashCode())
            .withExamples(CASES)
            .withShrinkCycles(50)
            .forAll(requests)
            .checkAssert(request -> answersWithADocumentedStatus(method, request.toByteArray()));
        System.out.printf(
            "generated input: %s, %d requests in %.1f s%n",
            method.getFullMethodName(), CASES, (System.nanoTime() - started) / 1e9);
      }
    }
    try (ServiceProbe probe = ServiceProbe.over(channel)) {
      assertThat(probe.health("", TIMEOUT)).isEqualTo(ServingStatus.SERVING);
    }
  }

  private void answersWithADocumentedStatus(MethodDescriptor<?, ?> method, byte[] request) {
    boolean mutates = mutates(method);
    String before = mutates ? observableState() : "";
    Status status = Status.OK;
    byte[] first = null;
    try {
      first = callRaw(method, request);
    } catch (StatusRuntimeException e) {
      status = e.getStatus();
    }
    String what = method.getFullMethodName() + " answered " + status;
    assertThat(status.getCode()).as(what).isNotIn(FAULTS);
    if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
      // a watch stays open until cancelled; a unary call must answer in time
      assertThat(method.getType()).as(what).isEqualTo(MethodDescriptor.MethodType.SERVER_STREAMING);
    } else if (!status.isOk()) {
      assertThat(status.getDescription()).as(what + ": a refusal says why").isNotBlank();
      if (mutates) {
        assertThat(observableState())
            .as(what + ": a refused request changes nothing")
            .isEqualTo(before);
      }
    } else if (first != null) {
      afterAccepted(method, first);
    }
  }

  /** Bytes as they arrive from any client: the request unparsed, the first response unparsed. */
  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
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

  private byte[] callRaw(MethodDescriptor<?, ?> method, byte[] request) {
    MethodDescriptor<byte[], byte[]> raw = method.toBuilder(BYTES, BYTES).build();
    Channel target = authorisedChannel();
    var options = CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS);
    switch (raw.getType()) {
      case UNARY:
        return ClientCalls.blockingUnaryCall(target, raw, options, request);
      case SERVER_STREAMING:
        {
          // the first message, then cancel: watches never end by themselves
          io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
          try {
            return context.call(
                () -> {
                  var stream =
                      ClientCalls.blockingServerStreamingCall(
                          target,
                          raw,
                          options.withDeadlineAfter(500, TimeUnit.MILLISECONDS),
                          request);
                  return stream.hasNext() ? stream.next() : null;
                });
          } catch (StatusRuntimeException e) {
            throw e;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          } finally {
            context.cancel(null);
          }
        }
      default:
        {
          var done = new CompletableFuture<byte[]>();
          StreamObserver<byte[]> requests =
              ClientCalls.asyncClientStreamingCall(target.newCall(raw, options), completing(done));
          requests.onNext(request);
          requests.onCompleted();
          try {
            return done.get(10, TimeUnit.SECONDS);
          } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException status) {
              throw status;
            }
            throw new IllegalStateException(e.getCause());
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
    }
  }

  @SuppressWarnings("unchecked")
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
