package io.piddm.cli.mesh;

import io.piddm.probe.ServiceEndpoint;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * What {@code piddm up} started, kept in {@code <home>/.piddm/mesh.properties} so that {@code
 * status} finds the services and {@code down} stops exactly those processes.
 */
public final class MeshState {

  private static final String SAMPLER_MODEL = "sampler.model";

  private final Path home;
  private final Path file;

  public MeshState(Path home) {
    this.home = home;
    this.file = home.resolve(".piddm/mesh.properties");
  }

  public Path runDirectory() {
    return file.getParent();
  }

  public Path logDirectory() {
    return runDirectory().resolve("logs");
  }

  /** Records the running mesh, replacing the file atomically. */
  public void save(Mesh mesh) throws IOException {
    save(mesh, null);
  }

  /**
   * Records the running mesh and the registry model its sampler follows (null: none), so a later
   * {@code up} restarting the sampler gives it the same model.
   */
  public void save(Mesh mesh, String samplerModel) throws IOException {
    Properties properties = new Properties();
    if (samplerModel != null) {
      properties.setProperty(SAMPLER_MODEL, samplerModel);
    }
    for (ServiceProcess process : mesh.processes()) {
      String key = process.service().shortName();
      ServiceEndpoint endpoint = process.endpoint();
      properties.setProperty(key + ".pid", Long.toString(process.pid()));
      properties.setProperty(key + ".host", endpoint.host());
      properties.setProperty(key + ".grpc", Integer.toString(endpoint.grpcPort()));
      properties.setProperty(key + ".http", Integer.toString(endpoint.httpPort()));
      properties.setProperty(key + ".log", process.log().toString());
    }
    Files.createDirectories(runDirectory());
    Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
    try (Writer out = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
      properties.store(out, "services started by piddm up");
    }
    Files.move(
        temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The registry model the recorded sampler follows, if it follows one. */
  public Optional<String> samplerModel() throws IOException {
    return load().map(p -> p.getProperty(SAMPLER_MODEL));
  }

  /** The endpoints recorded by the last {@code up}, if any. */
  public Map<MeshService, ServiceEndpoint> endpoints() throws IOException {
    Map<MeshService, ServiceEndpoint> endpoints = new EnumMap<>(MeshService.class);
    Optional<Properties> properties = load();
    if (properties.isEmpty()) {
      return endpoints;
    }
    for (MeshService service : MeshService.values()) {
      endpoint(properties.get(), service).ifPresent(e -> endpoints.put(service, e));
    }
    return endpoints;
  }

  /** The recorded processes that are still alive and still the services we started. */
  public List<ServiceProcess> liveProcesses() throws IOException {
    List<ServiceProcess> live = new ArrayList<>();
    Optional<Properties> properties = load();
    if (properties.isEmpty()) {
      return live;
    }
    for (MeshService service : MeshService.values()) {
      String key = service.shortName();
      String pid = properties.get().getProperty(key + ".pid");
      Optional<ServiceEndpoint> endpoint = endpoint(properties.get(), service);
      if (pid == null || endpoint.isEmpty()) {
        continue;
      }
      Path log = Path.of(properties.get().getProperty(key + ".log", ""));
      ServiceProcess.attach(service, endpoint.get(), Long.parseLong(pid), home, log)
          .ifPresent(live::add);
    }
    return live;
  }

  public void clear() throws IOException {
    Files.deleteIfExists(file);
  }

  private Optional<Properties> load() throws IOException {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    Properties properties = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(in);
    }
    return Optional.of(properties);
  }

  private static Optional<ServiceEndpoint> endpoint(Properties properties, MeshService service) {
    String key = service.shortName();
    String host = properties.getProperty(key + ".host");
    String grpc = properties.getProperty(key + ".grpc");
    String http = properties.getProperty(key + ".http");
    if (host == null || grpc == null || http == null) {
      return Optional.empty();
    }
    return Optional.of(
        new ServiceEndpoint(key, host, Integer.parseInt(grpc), Integer.parseInt(http)));
  }
}
