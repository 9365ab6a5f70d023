package io.piddm.sampler;

import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.piddm.proto.inference.GRPCInferenceServiceGrpc;
import io.piddm.service.NotYetImplemented;
import io.quarkus.grpc.GrpcService;

/**
 * The GRPCInferenceService contract, served so clients, health checks and reflection see it; every
 * RPC answers UNIMPLEMENTED naming what is missing until its issue lands.
 */
@GrpcService
public class InferenceGrpcService implements BindableService {

  @Override
  public ServerServiceDefinition bindService() {
    return NotYetImplemented.service(
        GRPCInferenceServiceGrpc.getServiceDescriptor(),
        "the Open Inference Protocol for the raw student lands with issue #7 (it needs the exported model of issue #5)");
  }
}
