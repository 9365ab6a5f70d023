package io.piddm.cli;

import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code piddm} command: one subcommand per user task. */
@Command(
    name = "piddm",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "Physics-informed distillation of diffusion models: the mesh's command line.",
    subcommands = {
      VersionCommand.class,
      UpCommand.class,
      DownCommand.class,
      StatusCommand.class,
      DataCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Examples:",
      "  piddm up                 start trainer, registry and sampler on their default ports",
      "  piddm status             health of the three services",
      "  piddm status --json      the same, for scripts",
      "  piddm down               stop what 'up' started",
      "  piddm data generate --pde darcy --resolution 64 --count 1000 --seed 1 --out data/darcy64"
    })
public final class Piddm implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new Piddm()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  /**
   * The project root: where the services' jars and the run folder are. The {@code ./piddm} script
   * passes it as {@code -Dpiddm.home}; otherwise the working directory.
   */
  static Path home() {
    return Path.of(System.getProperty("piddm.home", ".")).toAbsolutePath().normalize();
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
