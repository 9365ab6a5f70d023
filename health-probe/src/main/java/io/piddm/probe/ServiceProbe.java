package io.piddm.probe;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Asks one running service how it is: the grpc.health.v1 status, the services it lists through
 * server reflection, and its HTTP readiness. One probe owns one channel; close it when done.
 */
public final class ServiceProbe implements AutoCloseable {

  private final ManagedChannel channel;
  private final boolean ownsChannel;

  private ServiceProbe(ManagedChannel channel, boolean ownsChannel) {
    this.channel = channel;
    this.ownsChannel = ownsChannel;
  }

  /** A probe to {@code host:port}: TLS when a CA file is set ({@link GrpcChannels}). */
  public static ServiceProbe connect(String host, int grpcPort) {
    return new ServiceProbe(GrpcChannels.forAddress(host, grpcPort).build(), true);
  }

  /** A probe over a channel the caller owns (for example an in-process one in tests). */
  public static ServiceProbe over(ManagedChannel channel) {
    return new ServiceProbe(channel, false);
  }

  /**
   * The health of {@code service} ("" for the server as a whole). A service the server does not
   * know is reported as {@code SERVICE_UNKNOWN}; an unreachable server throws the gRPC status.
   */
  public HealthCheckResponse.ServingStatus health(String service, Duration timeout) {
    try {
      return HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build())
          .getStatus();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return HealthCheckResponse.ServingStatus.SERVICE_UNKNOWN;
      }
      throw e;
    }
  }

  /**
   * The fully qualified names of the services the server lists through reflection, asking the v1
   * reflection service first and the older v1alpha one when v1 is not served.
   */
  public List<String> reflectedServices(Duration timeout) {
    try {
      return listV1(timeout);
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.UNIMPLEMENTED) {
        throw e;
      }
      return listV1Alpha(timeout);
    }
  }

  private List<String> listV1(Duration timeout) {
    var result = new CompletableFuture<List<String>>();
    var requests =
        io.grpc.reflection.v1.ServerReflectionGrpc.newStub(channel)
            .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .serverReflectionInfo(
                new CollectingObserver<io.grpc.reflection.v1.ServerReflectionResponse>(
                    result,
                    response ->
                        response.getListServicesResponse().getServiceList().stream()
                            .map(io.grpc.reflection.v1.ServiceResponse::getName)
                            .toList()));
    requests.onNext(
        io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("*").build());
    requests.onCompleted();
    return await(result, timeout);
  }

  private List<String> listV1Alpha(Duration timeout) {
    var result = new CompletableFuture<List<String>>();
    var requests =
        io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel)
            .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .serverReflectionInfo(
                new CollectingObserver<io.grpc.reflection.v1alpha.ServerReflectionResponse>(
                    result,
                    response ->
                        response.getListServicesResponse().getServiceList().stream()
                            .map(io.grpc.reflection.v1alpha.ServiceResponse::getName)
                            .toList()));
    requests.onNext(
        io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder()
            .setListServices("*")
            .build());
    requests.onCompleted();
    return await(result, timeout);
  }

  /**
   * The HTTP status and body of {@code GET uri}, for the /q/health endpoints. Throws when the
   * server cannot be reached.
   */
  public static HttpAnswer httpGet(URI uri, Duration timeout) throws java.io.IOException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
    try {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      return new HttpAnswer(response.statusCode(), response.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while calling " + uri);
    }
  }

  /** A plain HTTP answer. */
  public record HttpAnswer(int status, String body) {}

  private static <T> T await(CompletableFuture<T> future, Duration timeout) {
    try {
      return future.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException sre) {
        throw sre;
      }
      throw Status.fromThrowable(e.getCause()).asRuntimeException();
    } catch (TimeoutException e) {
      throw Status.DEADLINE_EXCEEDED
          .withDescription("reflection did not answer")
          .asRuntimeException();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
    }
  }

  /** Collects the service names of the first list-services answer of a reflection stream. */
  private static final class CollectingObserver<R> implements StreamObserver<R> {
    private final CompletableFuture<List<String>> result;
    private final java.util.function.Function<R, List<String>> names;
    private final List<String> collected = new ArrayList<>();

    CollectingObserver(
        CompletableFuture<List<String>> result,
        java.util.function.Function<R, List<String>> names) {
      this.result = result;
      this.names = names;
    }

    @Override
    public void onNext(R response) {
      collected.addAll(names.apply(response));
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
      result.complete(List.copyOf(collected));
    }
  }

  @Override
  public void close() {
    if (ownsChannel) {
      channel.shutdownNow();
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
