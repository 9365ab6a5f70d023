package io.piddm.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.piddm.cli.mesh.Mesh;
import io.piddm.cli.mesh.MeshService;
import io.piddm.cli.mesh.MeshState;
import io.piddm.probe.ServiceEndpoint;
import io.piddm.probe.ServiceReport;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Checks the health of the three services and prints a table. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Check the gRPC health and HTTP readiness of the trainer, registry and sampler.",
      "Addresses come from the options, else the environment variables PIDDM_TRAINER_ADDRESS,",
      "PIDDM_REGISTRY_ADDRESS and PIDDM_SAMPLER_ADDRESS (HOST:GRPC_PORT:HTTP_PORT), else what",
      "'piddm up' recorded, else the default ports. Exits with 3 when a service is not serving."
    },
    footer = {
      "",
      "Examples:",
      "  piddm status",
      "  piddm status --registry registry.local:9102:8102 --json"
    })
final class StatusCommand implements Callable<Integer> {

  static final int NOT_ALL_SERVING = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--trainer", paramLabel = "HOST:GRPC:HTTP", description = "Trainer address.")
  String trainer;

  @Option(names = "--registry", paramLabel = "HOST:GRPC:HTTP", description = "Registry address.")
  String registry;

  @Option(names = "--sampler", paramLabel = "HOST:GRPC:HTTP", description = "Sampler address.")
  String sampler;

  @Option(names = "--json", description = "Print JSON instead of a table.")
  boolean json;

  @Option(
      names = "--timeout",
      defaultValue = "PT3S",
      description = "Per-service probe timeout (ISO-8601, default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() throws Exception {
    Map<MeshService, ServiceEndpoint> recorded = new MeshState(Piddm.home()).endpoints();
    Map<MeshService, ServiceEndpoint> defaults = Mesh.defaultEndpoints("localhost");
    List<ServiceReport> reports = new ArrayList<>();
    for (MeshService service :
        List.of(MeshService.TRAINER, MeshService.REGISTRY, MeshService.SAMPLER)) {
      String flag =
          switch (service) {
            case TRAINER -> trainer;
            case REGISTRY -> registry;
            case SAMPLER -> sampler;
          };
      String text = flag != null ? flag : System.getenv(service.addressVariable());
      ServiceEndpoint endpoint;
      try {
        endpoint =
            text != null
                ? EndpointConverter.parse(service.shortName(), text)
                : recorded.getOrDefault(service, defaults.get(service));
      } catch (CommandLine.TypeConversionException e) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), service.shortName() + " address " + e.getMessage());
      }
      reports.add(ServiceReport.of(endpoint, timeout));
    }
    if (json) {
      printJson(reports, System.out);
    } else {
      printTable(reports, System.out);
    }
    return reports.stream().allMatch(ServiceReport::serving) ? 0 : NOT_ALL_SERVING;
  }

  static void printTable(List<ServiceReport> reports, PrintStream out) {
    String format = "%-10s %-22s %-22s %-16s %-16s %s%n";
    out.printf(format, "SERVICE", "GRPC", "HTTP", "GRPC HEALTH", "READY", "PROBLEM");
    for (ServiceReport report : reports) {
      ServiceEndpoint endpoint = report.endpoint();
      out.printf(
          format,
          endpoint.name(),
          endpoint.grpcTarget(),
          endpoint.host() + ":" + endpoint.httpPort(),
          report.grpcHealth(),
          report.httpReady(),
          report.problem());
    }
  }

  static void printJson(List<ServiceReport> reports, PrintStream out) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (ServiceReport report : reports) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("service", report.endpoint().name());
      row.put("grpc", report.endpoint().grpcTarget());
      row.put("http", report.endpoint().http("").toString());
      row.put("grpcHealth", report.grpcHealth());
      row.put("ready", report.httpReady());
      row.put("serving", report.serving());
      row.put("problem", report.problem());
      rows.add(row);
    }
    Gson gson = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
    out.println(gson.toJson(Map.of("services", rows)));
  }
}
