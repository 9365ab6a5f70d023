package io.piddm.it;

import io.piddm.cli.mesh.Mesh;
import io.piddm.cli.mesh.MeshService;
import io.piddm.probe.ServiceEndpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Boots the three services from their built jars, each as its own process on free ports, before a
 * test class and stops them after it; tests talk to them over real sockets. Register it as a static
 * field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final MeshHarness mesh = new MeshHarness().withEnvironment(MeshService.REGISTRY, "K", "V");
 * }</pre>
 *
 * The project root comes from the system property {@code piddm.home} (the integration-tests pom
 * sets it); each service's log lands in a temporary folder, printed when a start fails.
 */
public final class MeshHarness implements BeforeAllCallback, AfterAllCallback {

  private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);

  /** The environment variable of the registry's data folder (piddm.registry.data-dir). */
  public static final String REGISTRY_DATA_DIR = "PIDDM_REGISTRY_DATA_DIR";

  private final Map<MeshService, Map<String, String>> environment =
      new EnumMap<>(MeshService.class);
  private Path workDirectory;
  private Mesh mesh;

  /** Adds an environment variable to one service's process (for example a data folder). */
  public MeshHarness withEnvironment(MeshService service, String name, String value) {
    environment.computeIfAbsent(service, s -> new HashMap<>()).put(name, value);
    return this;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException, InterruptedException {
    Path home = Path.of(System.getProperty("piddm.home", "..")).toAbsolutePath().normalize();
    workDirectory = Files.createTempDirectory("piddm-mesh-");
    // Tests never touch the user's ~/.piddm: the registry keeps its objects under the work folder.
    environment
        .computeIfAbsent(MeshService.REGISTRY, s -> new HashMap<>())
        .putIfAbsent(REGISTRY_DATA_DIR, workDirectory.resolve("registry-data").toString());
    environment
        .computeIfAbsent(MeshService.TRAINER, s -> new HashMap<>())
        .putIfAbsent("PIDDM_TRAINER_DATA_DIR", workDirectory.resolve("trainer-data").toString());
    mesh =
        Mesh.start(
            home,
            FreePorts.meshEndpoints(),
            workDirectory.resolve("logs"),
            environment,
            READY_TIMEOUT);
  }

  @Override
  public void afterAll(ExtensionContext context) throws InterruptedException {
    if (mesh != null) {
      mesh.close();
    }
  }

  /** The running mesh: endpoints, processes and their logs. */
  public Mesh mesh() {
    if (mesh == null) {
      throw new IllegalStateException("the mesh starts in beforeAll; use it from a test method");
    }
    return mesh;
  }

  public ServiceEndpoint endpoint(MeshService service) {
    return mesh().endpoint(service);
  }

  /** A folder of this test class's own, for data the services or the test write. */
  public Path workDirectory() {
    return workDirectory;
  }
}
