package io.piddm.it;

import io.piddm.cli.mesh.MeshService;
import io.piddm.probe.ServiceEndpoint;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Ports nothing listens on right now, picked by the operating system. */
public final class FreePorts {

  private FreePorts() {}

  /** {@code count} distinct free ports: all sockets stay open until every port is picked. */
  public static int[] pick(int count) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket(0);
        sockets.add(socket);
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
  }

  /** A gRPC and an HTTP port on localhost for every service of the mesh, all distinct. */
  public static Map<MeshService, ServiceEndpoint> meshEndpoints() throws IOException {
    int[] ports = pick(2 * MeshService.values().length);
    Map<MeshService, ServiceEndpoint> endpoints = new EnumMap<>(MeshService.class);
    int next = 0;
    for (MeshService service : MeshService.values()) {
      endpoints.put(
          service,
          new ServiceEndpoint(service.shortName(), "localhost", ports[next++], ports[next++]));
    }
    return endpoints;
  }
}
