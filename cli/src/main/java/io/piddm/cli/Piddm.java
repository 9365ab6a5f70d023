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
      LocalTrainingCommands.Teacher.class,
      LocalTrainingCommands.Distill.class,
      LocalTrainingCommands.Eval.class,
      LocalTrainingCommands.Export.class,
      ReconstructEvalCommand.class,
      SampleCommand.class,
      ReconstructCommand.class,
      RegistryCommands.Models.class,
      RegistryCommands.Alias.class,
      TrainerCommands.Train.class,
      TrainerCommands.Runs.class,
      DemoCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Examples:",
      "  piddm up                 start trainer, registry and sampler on their default ports",
      "  piddm status             health of the three services",
      "  piddm status --json      the same, for scripts",
      "  piddm down               stop what 'up' started",
      "  piddm data generate --pde darcy --resolution 64 --count 1000 --seed 1 --out data/darcy64",
      "  piddm teacher --data data/darcy64 --steps 3000 --out models/teacher-darcy64",
      "  piddm distill --teacher models/teacher-darcy64 --steps 2000 --out models/piddm-darcy64",
      "  piddm eval --model models/piddm-darcy64 --reference data/darcy64-ref --out eval/piddm",
      "  piddm sample --count 8 --seed 1 --out samples/darcy64",
      "  piddm reconstruct --observations u.npy --observe u --out recon/inverse"
    })
public final class Piddm implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // DJL: natives from the jars on the classpath, never a download; one PyTorch thread, which
    // was fastest on small machines. PIDDM_JAVA_OPTS can override either.
    System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
    System.setProperty(
        "ai.djl.pytorch.num_threads", System.getProperty("ai.djl.pytorch.num_threads", "1"));
    System.setProperty(
        "ai.djl.pytorch.num_interop_threads",
        System.getProperty("ai.djl.pytorch.num_interop_threads", "1"));
    System.exit(commandLine().execute(args));
  }

  public static CommandLine commandLine() {
    return new CommandLine(new Piddm())
        // wide enough for the descriptions' own line breaks: picocli's 80 re-wrapped them
        .setUsageHelpWidth(100)
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler(
            (error, commandLine, parsed) -> {
              // A message, not a stack trace: what failed and where; the trace only on request.
              commandLine
                  .getErr()
                  .println(
                      "piddm "
                          + commandLine.getCommandName()
                          + ": "
                          + error.getMessage()
                          + hint(error));
              if (Boolean.getBoolean("piddm.trace")) {
                error.printStackTrace(commandLine.getErr());
              }
              commandLine.getErr().flush();
              return 1;
            });
  }

  /** A next step for the errors a user can fix, after the gRPC status. */
  static String hint(Exception error) {
    if (!(error instanceof io.grpc.StatusRuntimeException e)) {
      return "";
    }
    return switch (e.getStatus().getCode()) {
      case UNAVAILABLE ->
          " (is the service running? 'piddm up' starts it; --registry points elsewhere)";
      case UNAUTHENTICATED, PERMISSION_DENIED ->
          " (pass --token, or set PIDDM_REGISTRY_TOKEN / PIDDM_TRAINER_TOKEN; services started"
              + " by 'piddm up' keep theirs in ~/.piddm/registry/token and ~/.piddm/trainer/token)";
      case NOT_FOUND -> " ('piddm models list' shows what the registry holds)";
      case ABORTED -> " (someone else moved it meanwhile: run the command again)";
      default -> "";
    };
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
