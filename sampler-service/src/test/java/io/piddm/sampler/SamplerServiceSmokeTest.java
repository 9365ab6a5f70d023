package io.piddm.sampler;

import io.grpc.ServiceDescriptor;
import io.piddm.proto.inference.GRPCInferenceServiceGrpc;
import io.piddm.proto.v1.SamplerServiceGrpc;
import io.piddm.service.testing.ServiceSmokeTest;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;

@QuarkusTest
class SamplerServiceSmokeTest extends ServiceSmokeTest {

  @Override
  protected List<ServiceDescriptor> services() {
    return List.of(
        SamplerServiceGrpc.getServiceDescriptor(), GRPCInferenceServiceGrpc.getServiceDescriptor());
  }
}
