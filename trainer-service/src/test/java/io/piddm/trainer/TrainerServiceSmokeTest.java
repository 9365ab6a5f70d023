package io.piddm.trainer;

import io.grpc.ServiceDescriptor;
import io.piddm.proto.v1.TrainerServiceGrpc;
import io.piddm.service.testing.ServiceSmokeTest;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

@QuarkusTest
class TrainerServiceSmokeTest extends ServiceSmokeTest {

  @Override
  protected List<ServiceDescriptor> services() {
    return List.of(TrainerServiceGrpc.getServiceDescriptor());
  }

  @Override
  protected String token() {
    return "test-token";
  }

  @Override
  protected Set<String> implementedRpcs() {
    return TrainerServiceGrpc.getServiceDescriptor().getMethods().stream()
        .map(m -> m.getBareMethodName())
        .collect(Collectors.toSet());
  }
}
