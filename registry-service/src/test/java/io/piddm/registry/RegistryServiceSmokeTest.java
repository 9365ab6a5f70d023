package io.piddm.registry;

import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.piddm.proto.v1.ListModelsRequest;
import io.piddm.proto.v1.RegistryServiceGrpc;
import io.piddm.service.testing.ServiceSmokeTest;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Set;

@QuarkusTest
class RegistryServiceSmokeTest extends ServiceSmokeTest {

  @Override
  protected List<ServiceDescriptor> services() {
    return List.of(RegistryServiceGrpc.getServiceDescriptor());
  }

  /** Models, their version counts and aliases: a refused request must leave them as they were. */
  /**
   * Models, their version counts and aliases: a refused request must leave them as they were. Read
   * as any client reads: UNAVAILABLE means "retry later" (README, errors from the store).
   */
  @Override
  protected String observableState() {
    for (int attempt = 1; ; attempt++) {
      try {
        return RegistryServiceGrpc.newBlockingStub(authorisedChannel())
            .listModels(ListModelsRequest.newBuilder().setPageSize(1000).build())
            .getModelsList()
            .toString();
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || attempt == 3) {
          throw e;
        }
        unavailableAnswers.incrementAndGet();
      }
    }
  }

  /** How often the state read had to be retried: reported, so a flaky store does not go unseen. */
  private final java.util.concurrent.atomic.AtomicInteger unavailableAnswers =
      new java.util.concurrent.atomic.AtomicInteger();

  @org.junit.jupiter.api.AfterEach
  void reportRetries() {
    if (unavailableAnswers.get() > 0) {
      System.err.println(
          "registry answered UNAVAILABLE to "
              + unavailableAnswers.get()
              + " state reads (retried)");
    }
  }

  @Override
  protected boolean mutates(MethodDescriptor<?, ?> method) {
    return Set.of("CreateVersion", "SetAlias", "RollbackAlias", "SetAliasPolicy")
        .contains(method.getBareMethodName());
  }

  @Override
  protected String token() {
    return "test-token";
  }
}
