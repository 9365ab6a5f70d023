package io.piddm.it.python;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Python package's committed {@code contracts.desc} is exactly what the contracts compile to,
 * so a change to a .proto file that is not carried over to Python fails the build. To rewrite it
 * after such a change:
 *
 * <pre>
 * ./mvnw -o -pl integration-tests test -Dtest=PythonContractsTest -Dpiddm.update-descriptors=true
 * </pre>
 */
class PythonContractsTest {

  private static final String UPDATE = "piddm.update-descriptors";

  @Test
  void theCommittedDescriptorSetMatchesTheContracts() throws IOException {
    byte[] expected = PythonContracts.descriptorSet().toByteArray();
    Path file = PythonContracts.DESCRIPTOR_FILE;
    if (Boolean.getBoolean(UPDATE)) {
      Files.write(file, expected);
    }
    assertThat(Files.isRegularFile(file)).as("%s exists", file).isTrue();
    assertThat(Files.readAllBytes(file))
        .as(
            "%s differs from the compiled contracts in proto/; rewrite it with"
                + " ./mvnw -o -pl integration-tests test -Dtest=PythonContractsTest -D%s=true",
            file, UPDATE)
        .isEqualTo(expected);
  }

  @Test
  void everyProtoFileIsInTheSet() throws IOException {
    Path protoRoot = PythonContracts.HOME.resolve("proto/src/main/proto");
    List<String> names =
        PythonContracts.descriptorSet().getFileList().stream()
            .map(FileDescriptorProto::getName)
            .toList();
    try (Stream<Path> files = Files.walk(protoRoot)) {
      List<String> protos =
          files
              .filter(p -> p.toString().endsWith(".proto"))
              .map(p -> protoRoot.relativize(p).toString().replace('\\', '/'))
              .toList();
      assertThat(protos).isNotEmpty();
      assertThat(names)
          .as("PythonContracts.ROOTS must name every file under %s", protoRoot)
          .containsAll(protos);
    }
  }
}
