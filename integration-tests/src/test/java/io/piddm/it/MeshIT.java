package io.piddm.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.piddm.cli.mesh.MeshService;
import io.piddm.cli.mesh.ServiceProcess;
import io.piddm.probe.ServiceEndpoint;
import io.piddm.probe.ServiceProbe;
import io.piddm.probe.ServiceReport;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The three services booted together as separate processes, probed over real sockets: gRPC health,
 * reflection, HTTP readiness and the Prometheus text of each.
 */
class MeshIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @RegisterExtension static final MeshHarness harness = new MeshHarness();

  private static final Map<MeshService, List<String>> CONTRACTS =
      Map.of(
          MeshService.TRAINER, List.of("piddm.v1.TrainerService"),
          MeshService.REGISTRY, List.of("piddm.v1.RegistryService"),
          MeshService.SAMPLER,
              List.of("piddm.v1.SamplerService", "inference.GRPCInferenceService"));

  @Test
  void everyServiceIsServingOnItsOwnPorts() {
    List<ServiceReport> reports = harness.mesh().reports(TIMEOUT);
    assertThat(reports)
        .hasSize(3)
        .allSatisfy(r -> assertThat(r.serving()).as(r.toString()).isTrue());
    assertThat(reports.stream().map(r -> r.endpoint().grpcPort()).distinct()).hasSize(3);
  }

  @Test
  void everyServiceReflectsItsContracts() {
    for (MeshService service : MeshService.values()) {
      ServiceEndpoint endpoint = harness.endpoint(service);
      try (ServiceProbe probe = ServiceProbe.connect(endpoint.host(), endpoint.grpcPort())) {
        assertThat(probe.reflectedServices(TIMEOUT))
            .as(service.module())
            .contains("grpc.health.v1.Health")
            .containsAll(CONTRACTS.get(service));
        for (String contract : CONTRACTS.get(service)) {
          assertThat(probe.health(contract, TIMEOUT)).isEqualTo(ServingStatus.SERVING);
        }
      }
    }
  }

  @Test
  void everyServiceExposesPrometheusText() throws Exception {
    for (MeshService service : MeshService.values()) {
      ServiceEndpoint endpoint = harness.endpoint(service);
      ServiceProbe.HttpAnswer metrics = ServiceProbe.httpGet(endpoint.http("/q/metrics"), TIMEOUT);
      assertThat(metrics.status()).isEqualTo(200);
      assertThat(metrics.body()).contains("# TYPE jvm_memory_used_bytes gauge");
      assertThat(ServiceProbe.httpGet(endpoint.http("/q/health/live"), TIMEOUT).status())
          .isEqualTo(200);
    }
  }

  @Test
  void theProcessesAreSeparateAndAlive() {
    List<ServiceProcess> processes = harness.mesh().processes();
    assertThat(processes).allSatisfy(p -> assertThat(p.isAlive()).isTrue());
    assertThat(processes.stream().map(ServiceProcess::pid).distinct()).hasSize(3);
  }
}
