package io.piddm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.piddm.physics.dataset.DatasetGenerator;
import io.piddm.physics.dataset.DatasetSidecar;
import io.piddm.physics.dataset.DatasetWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DataCommandTest {

  @Test
  void generateWritesADatasetAndItsSidecar(@TempDir Path out) throws Exception {
    int exit =
        Piddm.commandLine()
            .execute(
                "data",
                "generate",
                "--pde",
                "poisson",
                "--resolution",
                "16",
                "--count",
                "10",
                "--seed",
                "5",
                "--out",
                out.toString(),
                "--threads",
                "2");
    assertThat(exit).isZero();
    DatasetSidecar sidecar = DatasetSidecar.read(out);
    assertThat(sidecar.pde()).isEqualTo("poisson");
    assertThat(sidecar.shape()).containsExactly(10, 2, 16, 16);
    assertThat(sidecar.sha256())
        .isEqualTo(DatasetWriter.sha256(out.resolve(DatasetGenerator.FIELDS)));
  }

  @Test
  void badParametersAreUsageErrorsNamingTheParameter(@TempDir Path out) {
    CommandLine cli = Piddm.commandLine();
    var err = new java.io.StringWriter();
    cli.setErr(new java.io.PrintWriter(err));
    assertThat(
            cli.execute(
                "data", "generate", "--pde", "navier", "--count", "3", "--out", out.toString()))
        .isEqualTo(CommandLine.ExitCode.USAGE);
    assertThat(err.toString()).contains("--pde").contains("navier");
    assertThat(
            cli.execute(
                "data",
                "generate",
                "--pde",
                "darcy",
                "--resolution",
                "4",
                "--count",
                "3",
                "--out",
                out.toString()))
        .isEqualTo(CommandLine.ExitCode.USAGE);
    assertThat(err.toString()).contains("resolution");
  }
}
