package io.piddm.cli.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The sampler and the trainer of a mesh find the mesh's registry unless told otherwise. */
class MeshWiringTest {

  @Test
  void theSamplerAndTheTrainerGetTheMeshRegistry() {
    var wired = Mesh.wire(Mesh.defaultEndpoints("localhost"), Map.of());
    String registry = "localhost:" + MeshService.REGISTRY.defaultGrpcPort();
    assertThat(wired.get(MeshService.SAMPLER)).containsEntry("PIDDM_SAMPLER_REGISTRY", registry);
    assertThat(wired.get(MeshService.TRAINER))
        .containsEntry("PIDDM_TRAINER_REGISTRY", registry)
        .containsEntry("OMP_NUM_THREADS", "1")
        .doesNotContainKeys("PIDDM_TRAINER_REGISTRY_TOKEN", "PIDDM_TRAINER_REGISTRY_TOKEN_FILE");
  }

  @Test
  void theTrainerPublishesWithTheRegistrysTokenOrItsTokenFile() {
    var configured =
        Mesh.wire(
            Mesh.defaultEndpoints("localhost"),
            Map.of(MeshService.REGISTRY, Map.of("PIDDM_REGISTRY_TOKEN", "secret")));
    assertThat(configured.get(MeshService.TRAINER))
        .containsEntry("PIDDM_TRAINER_REGISTRY_TOKEN", "secret");
    var generated =
        Mesh.wire(
            Mesh.defaultEndpoints("localhost"),
            Map.of(MeshService.REGISTRY, Map.of("PIDDM_REGISTRY_DATA_DIR", "/data/registry")));
    assertThat(generated.get(MeshService.TRAINER))
        .containsEntry(
            "PIDDM_TRAINER_REGISTRY_TOKEN_FILE", Path.of("/data/registry/token").toString());
  }

  @Test
  void anExplicitRegistryWins() {
    var wired =
        Mesh.wire(
            Mesh.defaultEndpoints("localhost"),
            Map.of(
                MeshService.SAMPLER, Map.of("PIDDM_SAMPLER_REGISTRY", "elsewhere:1234"),
                MeshService.TRAINER, Map.of("PIDDM_TRAINER_REGISTRY", "other:99")));
    assertThat(wired.get(MeshService.SAMPLER))
        .containsEntry("PIDDM_SAMPLER_REGISTRY", "elsewhere:1234");
    assertThat(wired.get(MeshService.TRAINER)).containsEntry("PIDDM_TRAINER_REGISTRY", "other:99");
  }
}
