package io.piddm.probe;

import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.io.IOException;
import java.time.Duration;

/**
 * What one look at a service found: its gRPC health ("" service) and its HTTP readiness. A service
 * counts as serving when both say so.
 *
 * @param grpcHealth SERVING, NOT_SERVING, … or UNREACHABLE
 * @param httpReady UP, DOWN (with the HTTP status) or UNREACHABLE
 * @param problem why it is not serving, empty when it is
 */
public record ServiceReport(
    ServiceEndpoint endpoint, String grpcHealth, String httpReady, String problem) {

  public boolean serving() {
    return grpcHealth.equals(ServingStatus.SERVING.name()) && httpReady.equals("UP");
  }

  /** Probes {@code endpoint} once; never throws for an unreachable or unhealthy service. */
  public static ServiceReport of(ServiceEndpoint endpoint, Duration timeout) {
    String grpcHealth;
    String problem = "";
    try (ServiceProbe probe = ServiceProbe.connect(endpoint.host(), endpoint.grpcPort())) {
      grpcHealth = probe.health("", timeout).name();
    } catch (StatusRuntimeException e) {
      grpcHealth = "UNREACHABLE";
      problem = "gRPC " + endpoint.grpcTarget() + ": " + e.getStatus().getCode();
    }
    String httpReady;
    try {
      ServiceProbe.HttpAnswer answer =
          ServiceProbe.httpGet(endpoint.http("/q/health/ready"), timeout);
      httpReady = answer.status() == 200 ? "UP" : "DOWN (" + answer.status() + ")";
    } catch (IOException e) {
      httpReady = "UNREACHABLE";
      String reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
      problem = join(problem, "HTTP " + endpoint.http("/q/health/ready") + ": " + reason);
    }
    return new ServiceReport(endpoint, grpcHealth, httpReady, problem);
  }

  private static String join(String a, String b) {
    return a.isEmpty() ? b : a + "; " + b;
  }
}
