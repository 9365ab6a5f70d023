package io.piddm.api;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;

/** A fake service on an in-process server and a channel to it, for the clients' tests. */
public record InProcessService(Server server, ManagedChannel channel) implements AutoCloseable {

  public static InProcessService start(BindableService service) throws IOException {
    return start(service.bindService());
  }

  public static InProcessService start(ServerServiceDefinition service) throws IOException {
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name).addService(service).build().start();
    return new InProcessService(server, InProcessChannelBuilder.forName(name).build());
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
  }
}
