package io.piddm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code piddm status} against a real gRPC health server and a real HTTP readiness endpoint on
 * loopback sockets, and against ports where nothing listens.
 */
class StatusCommandTest {

  private final HealthStatusManager health = new HealthStatusManager();
  private Server grpc;
  private HttpServer http;
  private int readyStatus = 200;

  @BeforeEach
  void start() throws Exception {
    grpc =
        Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
            .addService(health.getHealthService())
            .build()
            .start();
    http = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
    http.createContext(
        "/q/health/ready",
        exchange -> {
          byte[] body = "{\"status\":\"UP\"}".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(readyStatus, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    http.start();
  }

  @AfterEach
  void stop() {
    grpc.shutdownNow();
    http.stop(0);
  }

  private String healthy() {
    return "localhost:" + grpc.getPort() + ":" + http.getAddress().getPort();
  }

  private static String unused() throws Exception {
    int a;
    int b;
    try (ServerSocket s1 = new ServerSocket(0);
        ServerSocket s2 = new ServerSocket(0)) {
      a = s1.getLocalPort();
      b = s2.getLocalPort();
    }
    return "localhost:" + a + ":" + b;
  }

  private record Result(int exit, String out) {}

  private Result run(String... args) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream previous = System.out;
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      int exit = Piddm.commandLine().execute(args);
      return new Result(exit, bytes.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(previous);
    }
  }

  @Test
  void allServingExitsZeroAndPrintsATable() {
    Result result =
        run("status", "--trainer", healthy(), "--registry", healthy(), "--sampler", healthy());
    assertThat(result.exit()).isZero();
    assertThat(result.out()).contains("SERVICE", "trainer", "registry", "sampler");
    assertThat(result.out().lines().filter(l -> l.contains("SERVING") && l.contains(" UP")))
        .hasSize(3);
  }

  @Test
  void anUnreachableServiceIsReportedAndTheExitCodeSaysSo() throws Exception {
    Result result =
        run(
            "status",
            "--trainer",
            healthy(),
            "--registry",
            unused(),
            "--sampler",
            healthy(),
            "--json");
    assertThat(result.exit()).isEqualTo(StatusCommand.NOT_ALL_SERVING);
    assertThat(result.out())
        .contains("\"service\": \"registry\"", "\"grpcHealth\": \"UNREACHABLE\"");
  }

  @Test
  void notServingOrNotReadyIsNotServing() {
    health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.NOT_SERVING);
    Result notServing =
        run("status", "--trainer", healthy(), "--registry", healthy(), "--sampler", healthy());
    assertThat(notServing.exit()).isEqualTo(StatusCommand.NOT_ALL_SERVING);
    assertThat(notServing.out()).contains("NOT_SERVING");

    health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    readyStatus = 503;
    Result notReady =
        run("status", "--trainer", healthy(), "--registry", healthy(), "--sampler", healthy());
    assertThat(notReady.exit()).isEqualTo(StatusCommand.NOT_ALL_SERVING);
    assertThat(notReady.out()).contains("DOWN (503)");
  }

  @Test
  void aMalformedAddressIsAUsageError() {
    Result result = run("status", "--registry", "localhost:9102");
    assertThat(result.exit()).isEqualTo(CommandLine.ExitCode.USAGE);
  }

  @Test
  void versionNamesTheProgram() {
    assertThat(run("version").out()).startsWith("piddm ");
  }
}
