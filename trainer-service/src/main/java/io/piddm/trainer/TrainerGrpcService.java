package io.piddm.trainer;

import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.piddm.proto.v1.TrainerServiceGrpc;
import io.piddm.service.NotYetImplemented;
import io.quarkus.grpc.GrpcService;

/**
 * The TrainerService contract, served so clients, health checks and reflection see it; every RPC
 * answers UNIMPLEMENTED naming what is missing until its issue lands.
 */
@GrpcService
public class TrainerGrpcService implements BindableService {

  @Override
  public ServerServiceDefinition bindService() {
    return NotYetImplemented.service(
        TrainerServiceGrpc.getServiceDescriptor(),
        "the training pipeline (data, teacher, distillation, export, publish) lands with issues #4, #5 and #8");
  }
}
