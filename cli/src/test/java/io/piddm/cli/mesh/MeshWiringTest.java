package io.piddm.cli.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The sampler of a mesh finds the mesh's registry unless told otherwise. */
class MeshWiringTest {

  @Test
  void theSamplerGetsTheMeshRegistryAsItsModelSource() {
    var wired = Mesh.wire(Mesh.defaultEndpoints("localhost"), Map.of());
    assertThat(wired.get(MeshService.SAMPLER))
        .containsEntry(
            "PIDDM_SAMPLER_REGISTRY", "localhost:" + MeshService.REGISTRY.defaultGrpcPort());
    assertThat(wired).doesNotContainKey(MeshService.TRAINER);
  }

  @Test
  void anExplicitRegistryWins() {
    var wired =
        Mesh.wire(
            Mesh.defaultEndpoints("localhost"),
            Map.of(MeshService.SAMPLER, Map.of("PIDDM_SAMPLER_REGISTRY", "elsewhere:1234")));
    assertThat(wired.get(MeshService.SAMPLER))
        .containsEntry("PIDDM_SAMPLER_REGISTRY", "elsewhere:1234");
  }
}
