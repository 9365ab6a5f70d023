package io.piddm.sampler;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once a model is loaded. */
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
    return HealthCheckResponse.named("sampler-model")
        .status(m != null)
        .withData("version", m == null ? 0 : m.identity().getVersion())
        .build();
  }
}
