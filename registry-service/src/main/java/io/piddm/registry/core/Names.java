package io.piddm.registry.core;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.piddm.api.registry.RegistryNames;
import java.util.regex.Pattern;

/** The name rules of the contract: no path tricks, bounded length, one spelling per name. */
public final class Names {

  private static final Pattern FILE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private Names() {}

  public static String model(String name) {
    String problem = RegistryNames.modelProblem(name);
    if (problem != null) {
      throw invalid(problem);
    }
    return name;
  }

  public static String alias(String name) {
    String problem = RegistryNames.aliasProblem(name);
    if (problem != null) {
      throw invalid(problem);
    }
    return name;
  }

  /** A plain file name: no '/', no "..", at most 128 characters, not a hidden file. */
  public static String file(String name) {
    if (name == null
        || !FILE.matcher(name).matches()
        || name.contains("..")
        || name.equals("manifest.json")) {
      throw invalid(
          "file name "
              + describe(name)
              + " must be a plain name of at most 128 characters [A-Za-z0-9._-], not"
              + " manifest.json");
    }
    return name;
  }

  public static String sha256(String file, String hex) {
    if (hex == null || !SHA256.matcher(hex).matches()) {
      throw invalid("file " + file + ": sha256 must be 64 lower-case hex characters");
    }
    return hex;
  }

  static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  private static String describe(String name) {
    return RegistryNames.describe(name);
  }
}
