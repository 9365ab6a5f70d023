package io.piddm.registry;

import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.piddm.proto.v1.RegistryServiceGrpc;
import io.piddm.service.NotYetImplemented;
import io.quarkus.grpc.GrpcService;

/**
 * The RegistryService contract, served so clients, health checks and reflection see it; every RPC
 * answers UNIMPLEMENTED naming what is missing until its issue lands.
 */
@GrpcService
public class RegistryGrpcService implements BindableService {

  @Override
  public ServerServiceDefinition bindService() {
    return NotYetImplemented.service(
        RegistryServiceGrpc.getServiceDescriptor(),
        "versioned storage in S3 with manifests, aliases and promotion gates lands with issue #6");
  }
}
