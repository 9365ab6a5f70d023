package io.piddm.sampler;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once a model is loaded. A sampler started with no model source at all (neither {@code
 * piddm.sampler.model-dir} nor {@code piddm.sampler.registry} + {@code piddm.sampler.model})
 * reports ready with {@code model: none configured}, so a bare mesh ({@code piddm up}) still comes
 * up; its model-bound RPCs answer UNAVAILABLE.
 */
@Readiness
@ApplicationScoped
public class ModelReadiness implements HealthCheck {

  private final ModelHolder holder;

  public ModelReadiness(ModelHolder holder) {
    this.holder = holder;
  }

  @Override
  public HealthCheckResponse call() {
    LoadedModel m = holder.current();
    if (m == null && !holder.sourceConfigured()) {
      return HealthCheckResponse.named("sampler-model")
          .up()
          .withData("model", "none configured")
          .build();
    }
    return HealthCheckResponse.named("sampler-model")
        .status(m != null)
        .withData("state", holder.state().name())
        .withData("version", m == null ? 0 : m.identity().getVersion())
        .build();
  }
}
