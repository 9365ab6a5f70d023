package io.piddm.api.registry;

import java.util.regex.Pattern;

/**
 * The contract's rules for model and alias names, in one place for the registry that enforces them
 * and the clients that check a name before they start work on it (the trainer refuses a run whose
 * model name the registry would reject hours later).
 */
public final class RegistryNames {

  private static final Pattern MODEL = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
  private static final Pattern ALIAS = Pattern.compile("[a-z][a-z0-9-]{0,31}");

  private RegistryNames() {}

  /** Why {@code name} is not a valid model name, or null when it is. */
  public static String modelProblem(String name) {
    if (name == null || !MODEL.matcher(name).matches() || name.contains("..")) {
      return "model name " + describe(name) + " must match [a-z0-9][a-z0-9._-]{0,62}";
    }
    return null;
  }

  /** Why {@code name} is not a valid alias, or null when it is. */
  public static String aliasProblem(String name) {
    if (name == null || !ALIAS.matcher(name).matches()) {
      return "alias " + describe(name) + " must match [a-z][a-z0-9-]{0,31}";
    }
    return null;
  }

  /** A name as it can be shown in a message: quoted, shortened, control characters masked. */
  public static String describe(String name) {
    if (name == null || name.isEmpty()) {
      return "(empty)";
    }
    String shown = name.length() > 40 ? name.substring(0, 40) + "…" : name;
    return "\"" + shown.replaceAll("\\p{Cntrl}", "?") + "\"";
  }
}
