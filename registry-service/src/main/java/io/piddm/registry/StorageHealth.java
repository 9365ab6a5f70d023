package io.piddm.registry;

import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.piddm.proto.v1.RegistryServiceGrpc;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

/**
 * Readiness follows the object store: asked every {@code health-interval}, DOWN (and gRPC health
 * NOT_SERVING for the registry service) while it does not answer or refuses the registry (wrong
 * credentials, missing bucket), with the reason in the check's data; UP again as soon as it works.
 */
@Readiness
@ApplicationScoped
public class StorageHealth implements HealthCheck {

  private static final Logger LOG = Logger.getLogger(StorageHealth.class);
  private static final String SERVICE = RegistryServiceGrpc.SERVICE_NAME;

  private final RegistryRuntime runtime;
  private final RegistryConfig config;
  private final Instance<GrpcHealthStorage> grpcHealth;
  private volatile boolean reachable = true;
  private volatile String problem = "";
  private ScheduledExecutorService checker;

  public StorageHealth(
      RegistryRuntime runtime, RegistryConfig config, Instance<GrpcHealthStorage> grpcHealth) {
    this.runtime = runtime;
    this.config = config;
    this.grpcHealth = grpcHealth;
  }

  void start(@Observes @Priority(3000) StartupEvent event) {
    check();
    checker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "registry-storage-health");
              thread.setDaemon(true);
              return thread;
            });
    long every = config.healthInterval().toMillis();
    checker.scheduleWithFixedDelay(this::check, every, every, TimeUnit.MILLISECONDS);
  }

  void stop(@Observes ShutdownEvent event) {
    if (checker != null) {
      checker.shutdownNow();
    }
  }

  private void check() {
    String found =
        runtime.store() == null
            ? "not started"
            : runtime.store().problem().map(Throwable::getMessage).orElse("");
    boolean now = found.isEmpty();
    if (now != reachable || !found.equals(problem)) {
      if (now) {
        LOG.info("object store usable again");
      } else {
        LOG.errorf("object store NOT usable: %s", found);
      }
    }
    reachable = now;
    problem = found;
    if (grpcHealth.isResolvable()) {
      ServingStatus status = now ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
      grpcHealth.get().setStatus(SERVICE, status);
      grpcHealth.get().setStatus(GrpcHealthStorage.DEFAULT_SERVICE_NAME, status);
    }
  }

  public boolean reachable() {
    return reachable;
  }

  @Override
  public HealthCheckResponse call() {
    var response =
        HealthCheckResponse.named("object-store")
            .status(reachable)
            .withData("bucket", config.s3().bucket());
    if (!problem.isEmpty()) {
      response.withData("problem", problem);
    }
    return response.build();
  }
}
