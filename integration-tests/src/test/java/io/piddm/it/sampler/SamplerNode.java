package io.piddm.it.sampler;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.piddm.cli.mesh.MeshService;
import io.piddm.cli.mesh.ServiceProcess;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.export.OnnxExporter;
import io.piddm.it.FreePorts;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpecs;
import io.piddm.probe.ServiceEndpoint;
import io.piddm.proto.v1.SamplerServiceGrpc;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One sampler-service process started from its built jar on free ports, with a channel and the
 * helpers the sampler's integration tests share.
 */
final class SamplerNode implements AutoCloseable {

  private static final Path HOME =
      Path.of(System.getProperty("piddm.home", "..")).toAbsolutePath().normalize();

  private final ServiceProcess process;
  private final ManagedChannel channel;

  private SamplerNode(ServiceProcess process, ManagedChannel channel) {
    this.process = process;
    this.channel = channel;
  }

  /** Starts a CPU sampler with {@code settings} and waits until it is ready (a model is loaded). */
  static SamplerNode start(Path log, Map<String, String> settings)
      throws IOException, InterruptedException {
    int[] ports = FreePorts.pick(2);
    ServiceEndpoint endpoint = new ServiceEndpoint("sampler", "localhost", ports[0], ports[1]);
    Map<String, String> env = new HashMap<>();
    env.put("PIDDM_SAMPLER_PROVIDER", "cpu");
    env.put("PIDDM_SAMPLER_INTRA_OP_THREADS", "1");
    env.putAll(settings);
    ServiceProcess process = ServiceProcess.start(MeshService.SAMPLER, HOME, endpoint, log, env);
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("localhost", ports[0])
            .usePlaintext()
            .maxInboundMessageSize(64 * 1024 * 1024)
            .build();
    SamplerNode node = new SamplerNode(process, channel);
    try {
      process.awaitServing(Duration.ofMinutes(2));
    } catch (IOException | RuntimeException e) {
      node.close();
      throw e;
    }
    return node;
  }

  ManagedChannel channel() {
    return channel;
  }

  ServiceEndpoint endpoint() {
    return process.endpoint();
  }

  SamplerServiceGrpc.SamplerServiceBlockingStub stub() {
    return SamplerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  /** A gauge or counter from the service's Prometheus text, summed over its label sets. */
  double metric(String name) throws IOException, InterruptedException {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(endpoint().http("/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
    double sum = 0;
    boolean found = false;
    for (String line : response.body().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        found = true;
      }
    }
    if (!found) {
      throw new AssertionError(name + " is not in " + endpoint().http("/q/metrics"));
    }
    return sum;
  }

  /** A Darcy student with weights from {@code seed}, written by the real exporter into dir. */
  static Path exportStudent(Path dir, UNetSpec spec, int grid, long seed) throws Exception {
    Files.createDirectories(dir);
    OnnxExporter.exportStudent(
        spec,
        new UNet(spec).perturbedWeights(seed),
        new double[] {7.5, 0.02},
        new double[] {1.0, 0.01},
        ResidualSpecs.consistent(Pde.DARCY),
        new Grid(grid),
        dir);
    return dir;
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    process.stop(Duration.ofSeconds(20));
  }
}
