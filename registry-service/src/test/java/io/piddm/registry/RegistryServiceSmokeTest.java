package io.piddm.registry;

import io.grpc.ServiceDescriptor;
import io.piddm.proto.v1.RegistryServiceGrpc;
import io.piddm.service.testing.ServiceSmokeTest;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

@QuarkusTest
class RegistryServiceSmokeTest extends ServiceSmokeTest {

  @Override
  protected List<ServiceDescriptor> services() {
    return List.of(RegistryServiceGrpc.getServiceDescriptor());
  }

  @Override
  protected String token() {
    return "test-token";
  }

  @Override
  protected Set<String> implementedRpcs() {
    return RegistryServiceGrpc.getServiceDescriptor().getMethods().stream()
        .map(m -> m.getBareMethodName())
        .collect(Collectors.toSet());
  }
}
