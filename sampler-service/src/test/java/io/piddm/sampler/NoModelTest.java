package io.piddm.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.piddm.proto.v1.LoadState;
import io.piddm.proto.v1.ModelRef;
import java.lang.reflect.Proxy;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Before any model is loaded every model-bound call answers UNAVAILABLE. */
class NoModelTest {

  @Test
  void unavailableBeforeTheFirstLoad() {
    SamplerConfig config =
        (SamplerConfig)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {SamplerConfig.class},
                (p, m, a) -> m.getReturnType() == Optional.class ? Optional.empty() : null);
    ModelHolder holder = new ModelHolder(config, new SimpleMeterRegistry());
    assertThat(holder.state()).isEqualTo(LoadState.LOAD_STATE_NONE);
    assertThatThrownBy(() -> SamplerGrpcService.acquire(holder, ModelRef.getDefaultInstance()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription()).contains("no model loaded yet");
            });
  }
}
