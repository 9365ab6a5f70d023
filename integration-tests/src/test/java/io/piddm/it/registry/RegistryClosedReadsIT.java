package io.piddm.it.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.piddm.proto.v1.ListModelsRequest;
import io.piddm.proto.v1.RegistryServiceGrpc;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With piddm.registry.open-reads=false, reads need the token as mutating calls do. */
class RegistryClosedReadsIT {

  @TempDir Path root;

  @Test
  void readsNeedTheTokenWhenClosed() throws Exception {
    try (RegistryNode node =
        RegistryNode.start(root.resolve("data"), Map.of("PIDDM_REGISTRY_OPEN_READS", "false"))) {
      assertThatThrownBy(() -> node.reader().listModels(ListModelsRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
      assertThatThrownBy(
              () ->
                  RegistryNode.withToken(RegistryServiceGrpc.newBlockingStub(node.channel()), "no")
                      .listModels(ListModelsRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
      assertThat(node.writer().listModels(ListModelsRequest.getDefaultInstance()).getModelsList())
          .isEmpty();
    }
  }
}
