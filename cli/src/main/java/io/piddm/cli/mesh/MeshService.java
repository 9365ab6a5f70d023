package io.piddm.cli.mesh;

import java.nio.file.Path;

/** The three services of the mesh: their module folders and documented default ports. */
public enum MeshService {
  REGISTRY("registry", "registry-service", 9102, 8102),
  SAMPLER("sampler", "sampler-service", 9103, 8103),
  TRAINER("trainer", "trainer-service", 9101, 8101);

  private final String shortName;
  private final String module;
  private final int defaultGrpcPort;
  private final int defaultHttpPort;

  MeshService(String shortName, String module, int defaultGrpcPort, int defaultHttpPort) {
    this.shortName = shortName;
    this.module = module;
    this.defaultGrpcPort = defaultGrpcPort;
    this.defaultHttpPort = defaultHttpPort;
  }

  public String shortName() {
    return shortName;
  }

  public String module() {
    return module;
  }

  public int defaultGrpcPort() {
    return defaultGrpcPort;
  }

  public int defaultHttpPort() {
    return defaultHttpPort;
  }

  /** The runnable jar a build writes for this service under the project root {@code home}. */
  public Path jar(Path home) {
    return home.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
  }

  /** The environment variable that overrides where {@code piddm status} looks for it. */
  public String addressVariable() {
    return "PIDDM_" + name() + "_ADDRESS";
  }
}
