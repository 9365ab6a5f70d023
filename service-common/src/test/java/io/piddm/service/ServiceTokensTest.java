package io.piddm.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generated tokens are private from their first byte; shared ones are named, not refused. */
class ServiceTokensTest {

  @TempDir Path dir;

  private static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void aGeneratedTokenIsOwnerOnlyInOwnerOnlyFoldersAndKeptAcrossRestarts() throws Exception {
    Path data = dir.resolve("home/.piddm/registry");
    String token = ServiceTokens.configuredOrGenerated(Optional.empty(), data, "piddm.x.token");

    assertThat(token).hasSize(48).matches("[0-9a-f]+");
    assertThat(mode(data.resolve("token"))).isEqualTo("rw-------");
    assertThat(mode(data)).isEqualTo("rwx------");
    assertThat(mode(dir.resolve("home/.piddm"))).isEqualTo("rwx------");
    assertThat(ServiceTokens.configuredOrGenerated(Optional.of(" "), data, "piddm.x.token"))
        .isEqualTo(token);
    assertThat(ServiceTokens.configuredOrGenerated(Optional.of(" given "), data, "k"))
        .isEqualTo("given");
  }

  @Test
  void aSecretIsNeverWrittenOverNorThroughALink() throws Exception {
    Path target = Files.writeString(dir.resolve("elsewhere"), "keep");
    Path link = Files.createSymbolicLink(dir.resolve("token"), target);
    assertThatThrownBy(() -> PrivateFiles.writeNew(link, "x"))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(Files.readString(target)).isEqualTo("keep");
  }

  @Test
  void aSharedSecretIsNamedWithTheCommandThatFixesIt() throws Exception {
    Path shared = Files.writeString(dir.resolve("token"), "t");
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(PrivateFiles.exposure(shared, "the registry token file"))
        .hasValueSatisfying(
            w ->
                assertThat(w)
                    .contains("every account can read it")
                    .contains("its group can read it")
                    .endsWith("chmod 600 " + shared));
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rw-------"));
    assertThat(PrivateFiles.exposure(shared, "the registry token file")).isEmpty();
  }
}
