package io.piddm.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.piddm.cli.mesh.Mesh;
import io.piddm.cli.mesh.MeshService;
import io.piddm.cli.mesh.ServiceProcess;
import io.piddm.probe.ServiceEndpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting and stopping the mesh leaves nothing behind, even when a start fails. */
class MeshLifecycleIT {

  private static final Path HOME =
      Path.of(System.getProperty("piddm.home", "..")).toAbsolutePath().normalize();

  @Test
  void closingTheMeshEndsEveryProcess(@TempDir Path logs, @TempDir Path data) throws Exception {
    Mesh mesh =
        Mesh.start(HOME, FreePorts.meshEndpoints(), logs, registryIn(data), Duration.ofMinutes(3));
    List<ServiceProcess> processes = mesh.processes();
    assertThat(processes).allSatisfy(p -> assertThat(p.isAlive()).isTrue());

    mesh.close();

    assertThat(processes).allSatisfy(p -> assertThat(p.isAlive()).isFalse());
    assertThat(processes)
        .allSatisfy(
            p -> assertThat(ProcessHandle.of(p.pid()).filter(ProcessHandle::isAlive)).isEmpty());
  }

  @Test
  void aMeshWithOneServiceDeadIsCompletedWithoutTouchingTheOthers(
      @TempDir Path logs, @TempDir Path data) throws Exception {
    Map<MeshService, ServiceEndpoint> endpoints = FreePorts.meshEndpoints();
    Mesh mesh = Mesh.start(HOME, endpoints, logs, registryIn(data), Duration.ofMinutes(3));
    Mesh completed = null;
    try {
      mesh.get(MeshService.TRAINER).stop(Duration.ofSeconds(20));
      List<ServiceProcess> alive =
          mesh.processes().stream().filter(ServiceProcess::isAlive).toList();
      assertThat(Mesh.missing(alive)).containsExactly(MeshService.TRAINER);

      completed =
          Mesh.complete(HOME, endpoints, logs, registryIn(data), Duration.ofMinutes(3), alive);

      assertThat(completed.processes())
          .extracting(ServiceProcess::service)
          .containsExactly(MeshService.values());
      assertThat(completed.get(MeshService.REGISTRY).pid())
          .isEqualTo(mesh.get(MeshService.REGISTRY).pid());
      assertThat(completed.get(MeshService.TRAINER).pid())
          .isNotEqualTo(mesh.get(MeshService.TRAINER).pid());
      assertThat(completed.reports(Duration.ofSeconds(5)))
          .allSatisfy(r -> assertThat(r.serving()).as(r.toString()).isTrue());
    } finally {
      (completed != null ? completed : mesh).close();
      mesh.close();
    }
  }

  @Test
  void aServiceThatCannotStartFailsTheStartAndStopsTheOthers(@TempDir Path logs, @TempDir Path data)
      throws Exception {
    Map<MeshService, ServiceEndpoint> endpoints = FreePorts.meshEndpoints();
    ServiceEndpoint sampler = endpoints.get(MeshService.SAMPLER);
    // The test holds the sampler's gRPC port, so the sampler cannot bind it and exits at boot.
    try (var held = new java.net.ServerSocket(sampler.grpcPort())) {
      assertThatThrownBy(
              () -> Mesh.start(HOME, endpoints, logs, registryIn(data), Duration.ofMinutes(3)))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("sampler-service exited while starting");
    }

    // Every process that start() launched is gone: nothing listens on their ports any more.
    for (ServiceEndpoint endpoint : endpoints.values()) {
      assertThat(isFree(endpoint.grpcPort())).as(endpoint + " gRPC").isTrue();
      assertThat(isFree(endpoint.httpPort())).as(endpoint + " HTTP").isTrue();
    }
    try (var files = Files.list(logs)) {
      assertThat(files).hasSize(3);
    }
  }

  /** The registry's data folder inside the test's temporary folder, not the user's home. */
  private static Map<MeshService, Map<String, String>> registryIn(Path dir) {
    return Map.of(MeshService.REGISTRY, Map.of(MeshHarness.REGISTRY_DATA_DIR, dir.toString()));
  }

  private static boolean isFree(int port) {
    try (var socket = new java.net.ServerSocket(port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
