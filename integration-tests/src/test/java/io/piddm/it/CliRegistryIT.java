package io.piddm.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.piddm.cli.Piddm;
import io.piddm.cli.mesh.MeshService;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * {@code piddm models} and {@code piddm alias} against a real registry over its socket: publish,
 * list, show, set, history, rollback, and the errors a user meets (unknown model, wrong token).
 */
class CliRegistryIT {

  static final String TOKEN = "cli-token";

  @RegisterExtension
  static final MeshHarness mesh =
      new MeshHarness().withEnvironment(MeshService.REGISTRY, "PIDDM_REGISTRY_TOKEN", TOKEN);

  record Run(int exit, String out, String err) {}

  static Run piddm(String... args) {
    CommandLine cli = Piddm.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    var registry = mesh.endpoint(MeshService.REGISTRY);
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--registry");
    all.add(registry.host() + ":" + registry.grpcPort());
    int exit = cli.execute(all.toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void publishListShowPromoteAndRollBack() throws Exception {
    Path dir = Files.createDirectories(mesh.workDirectory().resolve("export"));
    Files.writeString(dir.resolve("model.onnx"), "first");
    Run first =
        piddm(
            "models",
            "publish",
            "--dir",
            dir.toString(),
            "--name",
            "cli-model",
            "--metric",
            "pde_error=0.5",
            "--alias",
            "staging",
            "--token",
            TOKEN);
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.out()).contains("published cli-model v1", "alias staging → v1");
    Files.writeString(dir.resolve("model.onnx"), "second");
    assertThat(
            piddm(
                    "models",
                    "publish",
                    "--dir",
                    dir.toString(),
                    "--name",
                    "cli-model",
                    "--token",
                    TOKEN)
                .out())
        .contains("published cli-model v2");

    Run list = piddm("models", "list");
    assertThat(list.exit()).isZero();
    assertThat(list.out()).containsPattern("cli-model\\s+2\\s+2\\s+staging → v1");
    Run show = piddm("models", "show", "cli-model", "--version", "1", "--json");
    assertThat(show.out()).contains("\"pde_error\": 0.5", "\"name\": \"model.onnx\"");

    assertThat(
            piddm(
                    "alias",
                    "set",
                    "cli-model",
                    "staging",
                    "2",
                    "--reason",
                    "newer",
                    "--token",
                    TOKEN)
                .out())
        .contains("cli-model@staging → v2 (was v1");
    assertThat(piddm("alias", "rollback", "cli-model", "staging", "--token", TOKEN).out())
        .contains("cli-model@staging → v1 (was v2");
    Run history = piddm("alias", "history", "cli-model", "staging");
    assertThat(history.out()).contains("set", "rollback", "newer");
    assertThat(history.out().lines().count()).isEqualTo(4); // header + three moves
  }

  @Test
  void mistakesGiveTheStatusAHintAndANonZeroExit() {
    Run unknown = piddm("models", "show", "no-such-model", "--version", "1");
    assertThat(unknown.exit()).isNotZero();
    assertThat(unknown.err()).contains("NOT_FOUND", "piddm models list");
    Run wrongToken = piddm("alias", "set", "cli-model", "staging", "1", "--token", "wrong");
    assertThat(wrongToken.exit()).isNotZero();
    assertThat(wrongToken.err()).containsAnyOf("UNAUTHENTICATED", "PERMISSION_DENIED");
    assertThat(wrongToken.err()).contains("--token");
  }
}
