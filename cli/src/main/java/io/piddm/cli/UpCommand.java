package io.piddm.cli;

import io.piddm.cli.mesh.Mesh;
import io.piddm.cli.mesh.MeshService;
import io.piddm.cli.mesh.MeshState;
import io.piddm.cli.mesh.ServiceProcess;
import io.piddm.probe.ServiceReport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Starts the three services from their built jars on the embedded defaults. */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description = {
      "Start the registry, sampler and trainer from their built jars on their default ports,",
      "wait until each is serving, and print their addresses. Logs go to .piddm/logs/.",
      "When part of an earlier mesh is still running, only the services that are not are",
      "started again, on the recorded ports (a restarted sampler follows the same model)."
    },
    footer = {
      "",
      "Examples:",
      "  ./mvnw package -DskipTests && piddm up && piddm status",
      "  piddm up --model piddm-darcy32     the sampler serves darcy32's production version"
    })
final class UpCommand implements Callable<Integer> {

  @Option(
      names = "--timeout",
      defaultValue = "PT3M",
      description =
          "How long to wait for all services to be ready (ISO-8601, default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--host", defaultValue = "localhost", description = "Host the services bind to.")
  String host;

  @Option(
      names = "--model",
      description =
          "Registry model the sampler serves: it follows the model's 'production' alias and"
              + " swaps versions when the alias moves.")
  String model;

  @Override
  public Integer call() throws Exception {
    MeshState state = new MeshState(Piddm.home());
    List<ServiceProcess> running = state.liveProcesses();
    List<MeshService> missing = Mesh.missing(running);
    if (missing.isEmpty()) {
      System.out.println("The mesh is already running (piddm down stops it):");
      StatusCommand.printTable(Mesh.of(running).reports(Duration.ofSeconds(3)), System.out);
      return 0;
    }
    var endpoints = Mesh.defaultEndpoints(host);
    String followed = model;
    if (!running.isEmpty()) {
      // part of an earlier mesh is alive: the missing services come back on its addresses, and a
      // restarted sampler follows the model it followed
      endpoints.putAll(state.endpoints());
      if (followed == null) {
        followed = state.samplerModel().orElse(null);
      }
    }
    for (MeshService service : missing) {
      requireFree(endpoints.get(service).name(), endpoints.get(service).grpcPort());
      requireFree(endpoints.get(service).name(), endpoints.get(service).httpPort());
    }
    System.out.println(
        (running.isEmpty()
                ? "Starting registry, sampler and trainer"
                : "Restarting "
                    + names(missing)
                    + " ("
                    + names(running.stream().map(ServiceProcess::service).toList())
                    + " still running)")
            + " (logs in "
            + state.logDirectory()
            + ") …");
    Mesh mesh;
    try {
      Map<MeshService, Map<String, String>> environment =
          followed == null
              ? Map.of()
              : Map.of(MeshService.SAMPLER, Map.of("PIDDM_SAMPLER_MODEL", followed));
      mesh =
          Mesh.complete(
              Piddm.home(), endpoints, state.logDirectory(), environment, timeout, running);
    } catch (IOException e) {
      System.err.println("piddm up failed: " + e.getMessage());
      return 1;
    }
    state.save(mesh, followed);
    List<ServiceReport> reports = mesh.reports(Duration.ofSeconds(3));
    StatusCommand.printTable(reports, System.out);
    System.out.println(
        "Prometheus metrics at http://HOST:HTTP/q/metrics; check with 'piddm status', stop with"
            + " 'piddm down'.");
    return 0;
  }

  private static String names(List<MeshService> services) {
    return String.join(", ", services.stream().map(MeshService::shortName).toList());
  }

  private static void requireFree(String service, int port) throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(port));
    } catch (IOException e) {
      throw new IOException(
          "port "
              + port
              + " for the "
              + service
              + " is in use: stop what holds it, or run 'piddm down' if an earlier mesh is still up",
          e);
    }
  }
}
