package io.piddm.probe;

import java.net.URI;

/** Where one service listens: its gRPC port and its HTTP port (health and metrics). */
public record ServiceEndpoint(String name, String host, int grpcPort, int httpPort) {

  public ServiceEndpoint {
    if (grpcPort < 1 || grpcPort > 65535 || httpPort < 1 || httpPort > 65535) {
      throw new IllegalArgumentException(
          name + ": ports must lie in 1..65535, got gRPC " + grpcPort + " and HTTP " + httpPort);
    }
  }

  public String grpcTarget() {
    return host + ":" + grpcPort;
  }

  public URI http(String path) {
    return URI.create("http://" + host + ":" + httpPort + path);
  }
}
