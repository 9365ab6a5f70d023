package io.piddm.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/** Prints the CLI's version and the Java runtime it runs on. */
@Command(name = "version", description = "Print the piddm version and the Java runtime.")
final class VersionCommand implements Runnable {

  @Override
  public void run() {
    for (String line : new Provider().getVersion()) {
      System.out.println(line);
    }
  }

  static final class Provider implements IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Piddm.class.getPackage().getImplementationVersion();
      return new String[] {
        "piddm " + (version == null ? "(development build)" : version),
        "java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
      };
    }
  }
}
