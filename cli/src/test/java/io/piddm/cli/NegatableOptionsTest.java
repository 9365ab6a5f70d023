package io.piddm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Options on by default turn off with their --no- form and stay on with the plain one. */
class NegatableOptionsTest {

  @Test
  void noProgressTurnsTheReconstructionBarOff() {
    String[] required = {"--observations", "x.npy", "--out", "out"};
    assertThat(reconstruct(required).progress).isTrue();
    assertThat(reconstruct(with(required, "--no-progress")).progress).isFalse();
    assertThat(reconstruct(with(required, "--progress")).progress).isTrue();
  }

  @Test
  void noPreviewSkipsTheDatasetPreview() {
    String[] required = {"--pde", "darcy", "--count", "2", "--out", "out"};
    assertThat(generate(required).preview).isTrue();
    assertThat(generate(with(required, "--no-preview")).preview).isFalse();
    assertThat(generate(with(required, "--preview")).preview).isTrue();
  }

  private static ReconstructCommand reconstruct(String... args) {
    ReconstructCommand command = new ReconstructCommand();
    new CommandLine(command).parseArgs(args);
    return command;
  }

  private static DataCommand.Generate generate(String... args) {
    DataCommand.Generate command = new DataCommand.Generate();
    new CommandLine(command).parseArgs(args);
    return command;
  }

  private static String[] with(String[] args, String extra) {
    String[] all = java.util.Arrays.copyOf(args, args.length + 1);
    all[args.length] = extra;
    return all;
  }
}
