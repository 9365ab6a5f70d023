package io.piddm.registry.core;

/** Where things live in the bucket. */
final class Layout {

  static final String MODELS = "models/";

  private Layout() {}

  static String model(String model) {
    return MODELS + model + "/";
  }

  static String versions(String model) {
    return model(model) + "versions/";
  }

  static String version(String model, long version) {
    return versions(model) + version + "/";
  }

  static String manifest(String model, long version) {
    return version(model, version) + "manifest.json";
  }

  static String claim(String model, long version) {
    return version(model, version) + ".claim";
  }

  static String file(String model, long version, String file) {
    return version(model, version) + file;
  }

  static String aliases(String model) {
    return model(model) + "aliases/";
  }

  static String alias(String model, String alias) {
    return aliases(model) + alias + ".json";
  }

  static String policy(String model, String alias) {
    return model(model) + "policies/" + alias + ".json";
  }

  static String histories(String model) {
    return model(model) + "history/";
  }

  static String history(String model, String alias) {
    return histories(model) + alias + "/";
  }

  static String historyEntry(String model, String alias, long revision) {
    return history(model, alias) + String.format("%019d", revision) + ".json";
  }

  /** The version number of a key under {@link #versions}, or -1. */
  static long versionOf(String model, String key) {
    String rest = key.substring(versions(model).length());
    int slash = rest.indexOf('/');
    String digits = slash < 0 ? rest : rest.substring(0, slash);
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
