package io.piddm.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.piddm.physics.residual.ResidualSpec;
import io.piddm.physics.residual.ResidualSpecs;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A model's recorded spec resolves back only when this build defines it the same way. */
class ResidualSpecRecordTest {

  @Test
  void aDefinitionThatWentThroughJsonResolvesToTheSameSpec() {
    for (ResidualSpec spec : ResidualSpecs.all()) {
      Map<String, Object> readBack = new HashMap<>(spec.definition());
      // a JSON reader hands numbers back as doubles
      readBack.put("crop", (double) spec.crop());
      assertThat(ResidualSpecs.recorded(spec.id(), readBack)).isSameAs(spec);
      assertThat(ResidualSpecs.recorded(spec.id(), null)).isSameAs(spec);
    }
  }

  @Test
  void aDefinitionThisBuildDoesNotShareIsRefused() {
    ResidualSpec helmholtz = ResidualSpecs.training(io.piddm.physics.pde.Pde.HELMHOLTZ);
    Map<String, Object> changed = new HashMap<>(helmholtz.definition());
    changed.put("parameters", Map.of("k", 2.0));
    assertThatThrownBy(() -> ResidualSpecs.recorded(helmholtz.id(), changed))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(helmholtz.id())
        .hasMessageContaining("this build defines");
    assertThat(helmholtz.definitionText()).contains(helmholtz.id()).contains("parameters");
  }
}
