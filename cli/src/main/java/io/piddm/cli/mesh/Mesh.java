package io.piddm.cli.mesh;

import io.piddm.probe.ServiceEndpoint;
import io.piddm.probe.ServiceReport;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The three services started together from their built jars: what {@code piddm up} runs and what
 * integration tests boot on free ports. Starting is all or nothing: when one service fails to come
 * up, the others are stopped again.
 */
public final class Mesh implements AutoCloseable {

  private static final Duration STOP_GRACE = Duration.ofSeconds(20);

  private final List<ServiceProcess> processes;

  private Mesh(List<ServiceProcess> processes) {
    this.processes = List.copyOf(processes);
  }

  /** Re-creates a mesh from processes that are already running (for {@code piddm down}). */
  public static Mesh of(List<ServiceProcess> processes) {
    return new Mesh(processes);
  }

  /**
   * Starts every service with the endpoint given for it, logs under {@code logDir}, and waits until
   * all are serving. The services start in parallel and boot in a few seconds each.
   */
  public static Mesh start(
      Path home,
      Map<MeshService, ServiceEndpoint> endpoints,
      Path logDir,
      Map<MeshService, Map<String, String>> environment,
      Duration readyTimeout)
      throws IOException, InterruptedException {
    return complete(home, endpoints, logDir, environment, readyTimeout, List.of());
  }

  /**
   * Starts the services missing from {@code running} (a mesh with one service dead), waits until
   * the new ones serve, and returns the whole mesh. A failed start stops only what it started.
   */
  public static Mesh complete(
      Path home,
      Map<MeshService, ServiceEndpoint> endpoints,
      Path logDir,
      Map<MeshService, Map<String, String>> environment,
      Duration readyTimeout,
      List<ServiceProcess> running)
      throws IOException, InterruptedException {
    List<ServiceProcess> started = new ArrayList<>();
    Map<MeshService, Map<String, String>> wired = wire(endpoints, environment);
    try {
      for (MeshService service : missing(running)) {
        started.add(
            ServiceProcess.start(
                service,
                home,
                endpoints.get(service),
                logDir.resolve(service.module() + ".log"),
                wired.getOrDefault(service, Map.of())));
      }
      for (ServiceProcess process : started) {
        boolean waitsForModel =
            process.service() == MeshService.SAMPLER
                && wired
                    .getOrDefault(MeshService.SAMPLER, Map.of())
                    .containsKey("PIDDM_SAMPLER_MODEL");
        process.awaitServing(readyTimeout, !waitsForModel);
      }
      List<ServiceProcess> all = new ArrayList<>(running);
      all.addAll(started);
      all.sort(java.util.Comparator.comparing(ServiceProcess::service));
      return new Mesh(all);
    } catch (IOException | InterruptedException | RuntimeException e) {
      new Mesh(started).close();
      throw e;
    }
  }

  /** The services with no process in {@code running}, in start order. */
  public static List<MeshService> missing(List<ServiceProcess> running) {
    List<MeshService> missing = new ArrayList<>(List.of(MeshService.values()));
    running.forEach(p -> missing.remove(p.service()));
    return missing;
  }

  /**
   * The services' environment plus how they find each other: the sampler gets this mesh's registry
   * as its model source (it follows a model only when {@code PIDDM_SAMPLER_MODEL} is set too).
   * Settings given by the caller win.
   */
  static Map<MeshService, Map<String, String>> wire(
      Map<MeshService, ServiceEndpoint> endpoints,
      Map<MeshService, Map<String, String>> environment) {
    Map<MeshService, Map<String, String>> wired = new EnumMap<>(MeshService.class);
    environment.forEach((service, env) -> wired.put(service, new java.util.HashMap<>(env)));
    ServiceEndpoint registry = endpoints.get(MeshService.REGISTRY);
    if (registry != null) {
      String address = registry.host() + ":" + registry.grpcPort();
      wired
          .computeIfAbsent(MeshService.SAMPLER, s -> new java.util.HashMap<>())
          .putIfAbsent("PIDDM_SAMPLER_REGISTRY", address);
      Map<String, String> trainer =
          wired.computeIfAbsent(MeshService.TRAINER, s -> new java.util.HashMap<>());
      trainer.putIfAbsent("PIDDM_TRAINER_REGISTRY", address);
      trainer.putIfAbsent("OMP_NUM_THREADS", "1");
      // the trainer publishes with the registry's token: the configured one, or the file the
      // registry generates it into
      Map<String, String> registryEnv = wired.getOrDefault(MeshService.REGISTRY, Map.of());
      if (registryEnv.containsKey("PIDDM_REGISTRY_TOKEN")) {
        trainer.putIfAbsent(
            "PIDDM_TRAINER_REGISTRY_TOKEN", registryEnv.get("PIDDM_REGISTRY_TOKEN"));
      } else if (registryEnv.containsKey("PIDDM_REGISTRY_DATA_DIR")) {
        trainer.putIfAbsent(
            "PIDDM_TRAINER_REGISTRY_TOKEN_FILE",
            Path.of(registryEnv.get("PIDDM_REGISTRY_DATA_DIR")).resolve("token").toString());
      }
    }
    return wired;
  }

  /** The default endpoints on {@code host}: the documented ports of each service. */
  public static Map<MeshService, ServiceEndpoint> defaultEndpoints(String host) {
    Map<MeshService, ServiceEndpoint> endpoints = new EnumMap<>(MeshService.class);
    for (MeshService service : MeshService.values()) {
      endpoints.put(
          service,
          new ServiceEndpoint(
              service.shortName(), host, service.defaultGrpcPort(), service.defaultHttpPort()));
    }
    return endpoints;
  }

  public List<ServiceProcess> processes() {
    return processes;
  }

  public ServiceProcess get(MeshService service) {
    return processes.stream()
        .filter(p -> p.service() == service)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException(service + " is not part of this mesh"));
  }

  public ServiceEndpoint endpoint(MeshService service) {
    return get(service).endpoint();
  }

  /** One health report per service, in start order. */
  public List<ServiceReport> reports(Duration timeout) {
    return processes.stream().map(p -> ServiceReport.of(p.endpoint(), timeout)).toList();
  }

  /** Stops every service; returns once none of their processes is alive. */
  @Override
  public void close() throws InterruptedException {
    for (ServiceProcess process : processes) {
      process.stop(STOP_GRACE);
    }
  }
}
