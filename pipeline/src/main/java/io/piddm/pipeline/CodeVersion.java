package io.piddm.pipeline;

/**
 * The version of the code that trains, for lineage: {@code PIDDM_CODE_VERSION} when the deployment
 * sets it (an image tag, a git describe), else the jar's implementation version.
 */
public final class CodeVersion {

  private CodeVersion() {}

  public static String current() {
    String configured = System.getenv("PIDDM_CODE_VERSION");
    if (configured != null && !configured.isBlank()) {
      return configured.trim();
    }
    String version = CodeVersion.class.getPackage().getImplementationVersion();
    return version == null ? "development" : version;
  }
}
