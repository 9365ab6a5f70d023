package io.piddm.sampler;

import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.piddm.proto.v1.SamplerServiceGrpc;
import io.piddm.service.NotYetImplemented;
import io.quarkus.grpc.GrpcService;

/**
 * The SamplerService contract, served so clients, health checks and reflection see it; every RPC
 * answers UNIMPLEMENTED naming what is missing until its issue lands.
 */
@GrpcService
public class SamplerGrpcService implements BindableService {

  @Override
  public ServerServiceDefinition bindService() {
    return NotYetImplemented.service(
        SamplerServiceGrpc.getServiceDescriptor(),
        "ONNX Runtime serving of the student lands with issue #7 (it needs the exported model of issue #5)");
  }
}
