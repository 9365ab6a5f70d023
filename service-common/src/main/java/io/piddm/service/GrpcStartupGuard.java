package io.piddm.service;

import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Exits the process when the gRPC server did not come up (its port taken, say). Quarkus only logs
 * that failure and keeps the HTTP side running with readiness DOWN, which leaves an operator or
 * {@code piddm up} waiting for a service that can never serve; failing fast says what is wrong.
 */
@Singleton
public class GrpcStartupGuard {

  private static final Logger LOG = Logger.getLogger(GrpcStartupGuard.class);

  /** Grace for a server whose start completes just after the startup event. */
  private static final Duration GRACE = Duration.ofSeconds(10);

  void check(
      @Observes StartupEvent event,
      GrpcHealthStorage health,
      @ConfigProperty(name = "quarkus.grpc.server.port") int port) {
    Thread watcher =
        new Thread(
            () -> {
              Instant deadline = Instant.now().plus(GRACE);
              while (Instant.now().isBefore(deadline)) {
                if (health.getStatuses().get("") == ServingStatus.SERVING) {
                  return;
                }
                try {
                  Thread.sleep(100);
                } catch (InterruptedException e) {
                  return;
                }
              }
              LOG.errorf(
                  "The gRPC server is not serving %d s after start (is port %d taken? see the"
                      + " error above); exiting with status 1",
                  GRACE.toSeconds(), port);
              Quarkus.asyncExit(1);
            },
            "grpc-startup-guard");
    watcher.setDaemon(true);
    watcher.start();
  }
}
