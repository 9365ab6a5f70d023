package io.piddm.cli.mesh;

import io.piddm.probe.ServiceEndpoint;
import io.piddm.probe.ServiceReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One service running as its own JVM process, started from its built jar with the ports given. The
 * process outlives the command that started it, so {@code piddm up} can return; {@link #stop} or
 * {@code piddm down} ends it.
 */
public final class ServiceProcess {

  private final MeshService service;
  private final ServiceEndpoint endpoint;
  private final ProcessHandle process;
  private final Path log;

  ServiceProcess(MeshService service, ServiceEndpoint endpoint, ProcessHandle process, Path log) {
    this.service = service;
    this.endpoint = endpoint;
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code service} from its jar under {@code home} on the endpoint's ports, writing its
   * output to {@code log}. {@code environment} adds settings (for example a data folder).
   */
  public static ServiceProcess start(
      MeshService service,
      Path home,
      ServiceEndpoint endpoint,
      Path log,
      Map<String, String> environment)
      throws IOException {
    Path jar = service.jar(home);
    if (!Files.isRegularFile(jar)) {
      throw new IOException(
          service.module()
              + " is not built: "
              + jar
              + " is missing. Build it with ./mvnw package -DskipTests");
    }
    Files.createDirectories(log.getParent());
    ProcessBuilder builder =
        new ProcessBuilder(javaExecutable(), "-jar", jar.toString())
            .directory(home.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
    builder.environment().put("QUARKUS_GRPC_SERVER_PORT", Integer.toString(endpoint.grpcPort()));
    builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(endpoint.httpPort()));
    builder.environment().putAll(environment);
    Process started = builder.start();
    return new ServiceProcess(service, endpoint, started.toHandle(), log);
  }

  /** Re-attaches to a process started earlier, if it is still alive and still this service. */
  public static Optional<ServiceProcess> attach(
      MeshService service, ServiceEndpoint endpoint, long pid, Path home, Path log) {
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .filter(handle -> runsJar(handle, service.jar(home)))
        .map(handle -> new ServiceProcess(service, endpoint, handle, log));
  }

  private static boolean runsJar(ProcessHandle handle, Path jar) {
    return handle
        .info()
        .arguments()
        .map(args -> List.of(args).contains(jar.toString()))
        // Without access to the arguments, trust the pid we recorded ourselves.
        .orElse(true);
  }

  private static String javaExecutable() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  public MeshService service() {
    return service;
  }

  public ServiceEndpoint endpoint() {
    return endpoint;
  }

  public long pid() {
    return process.pid();
  }

  public Path log() {
    return log;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Waits until gRPC health says SERVING and /q/health/ready is UP. Fails early, with the end of
   * the log, when the process dies; fails with the last report when {@code timeout} passes.
   */
  public ServiceReport awaitServing(Duration timeout) throws IOException, InterruptedException {
    return awaitServing(timeout, true);
  }

  /**
   * As {@link #awaitServing(Duration)}; without {@code requireReady} a process whose gRPC server
   * serves is enough (a sampler told to follow a model that is not published yet is up but not
   * ready until the model appears).
   */
  public ServiceReport awaitServing(Duration timeout, boolean requireReady)
      throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    ServiceReport report = null;
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IOException(
            service.module() + " exited while starting; the end of " + log + ":\n" + logTail(40));
      }
      report = ServiceReport.of(endpoint, Duration.ofSeconds(2));
      if (report.serving() || (!requireReady && report.grpcHealth().equals("SERVING"))) {
        return report;
      }
      Thread.sleep(250);
    }
    throw new IOException(
        service.module()
            + " was not serving after "
            + timeout.toSeconds()
            + " s ("
            + (report == null ? "never probed" : report.problem())
            + "); the end of "
            + log
            + ":\n"
            + logTail(40));
  }

  /**
   * Asks the process to stop (SIGTERM, which lets Quarkus shut down gracefully), waits up to {@code
   * grace}, then kills it and any children.
   */
  public void stop(Duration grace) throws InterruptedException {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      process.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      try {
        process.onExit().get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException
          | java.util.concurrent.TimeoutException ignored) {
        // Reported by the caller through isAlive().
      }
    }
  }

  /** The last {@code lines} lines of the service's log. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }
}
