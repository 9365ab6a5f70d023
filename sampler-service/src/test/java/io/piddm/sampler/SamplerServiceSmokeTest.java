package io.piddm.sampler;

import io.grpc.ServiceDescriptor;
import io.piddm.proto.inference.GRPCInferenceServiceGrpc;
import io.piddm.proto.v1.SamplerServiceGrpc;
import io.piddm.service.testing.ServiceSmokeTest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

@QuarkusTest
@QuarkusTestResource(ExportedStudent.class)
class SamplerServiceSmokeTest extends ServiceSmokeTest {

  @Override
  protected List<ServiceDescriptor> services() {
    return List.of(
        SamplerServiceGrpc.getServiceDescriptor(), GRPCInferenceServiceGrpc.getServiceDescriptor());
  }

  @Override
  protected Set<String> implementedRpcs() {
    return services().stream()
        .flatMap(s -> s.getMethods().stream())
        .map(m -> m.getBareMethodName())
        .collect(Collectors.toSet());
  }
}
