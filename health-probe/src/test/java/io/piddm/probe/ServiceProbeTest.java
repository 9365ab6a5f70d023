package io.piddm.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ServiceProbeTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final HealthStatusManager health = new HealthStatusManager();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Test
  void reportsTheServingStatusTheServerSets() {
    try (ServiceProbe probe = ServiceProbe.over(channel)) {
      assertThat(probe.health("", TIMEOUT)).isEqualTo(ServingStatus.SERVING);
      health.setStatus("", ServingStatus.NOT_SERVING);
      assertThat(probe.health("", TIMEOUT)).isEqualTo(ServingStatus.NOT_SERVING);
    }
  }

  @Test
  void anUnknownServiceIsServiceUnknownNotAnError() {
    try (ServiceProbe probe = ServiceProbe.over(channel)) {
      assertThat(probe.health("no.such.Service", TIMEOUT)).isEqualTo(ServingStatus.SERVICE_UNKNOWN);
    }
  }

  @Test
  void listsTheServicesTheServerReflects() {
    try (ServiceProbe probe = ServiceProbe.over(channel)) {
      assertThat(probe.reflectedServices(TIMEOUT))
          .contains("grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection");
    }
  }

  @Test
  void aServerWithoutReflectionAnswersUnimplemented() throws Exception {
    String name = InProcessServerBuilder.generateName();
    Server bare =
        InProcessServerBuilder.forName(name).addService(health.getHealthService()).build().start();
    ManagedChannel bareChannel = InProcessChannelBuilder.forName(name).build();
    try (ServiceProbe probe = ServiceProbe.over(bareChannel)) {
      assertThatThrownBy(() -> probe.reflectedServices(TIMEOUT))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
    } finally {
      bareChannel.shutdownNow();
      bare.shutdownNow();
    }
  }

  @Test
  void endpointsRejectPortsOutOfRange() {
    assertThatThrownBy(() -> new ServiceEndpoint("registry", "localhost", 0, 8080))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("registry");
  }
}
