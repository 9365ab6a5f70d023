package io.piddm.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.piddm.proto.inference.GrpcPredictV2;
import io.piddm.proto.v1.ManifestProto;
import io.piddm.proto.v1.PhysicsProto;
import io.piddm.proto.v1.RegistryProto;
import io.piddm.proto.v1.SamplerProto;
import io.piddm.proto.v1.TensorProto;
import io.piddm.proto.v1.TrainerProto;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every message type of the v1 contracts and of the Open Inference Protocol, filled with a value in
 * every field, survives binary and JSON round trips through the generated Java classes. The JSON
 * mapping matters: the registry stores manifests as JSON.
 */
class ContractRoundTripTest {

  static Stream<Descriptor> everyMessageType() {
    List<Descriptor> all = new ArrayList<>();
    for (FileDescriptor file :
        List.of(
            TensorProto.getDescriptor(),
            PhysicsProto.getDescriptor(),
            ManifestProto.getDescriptor(),
            RegistryProto.getDescriptor(),
            TrainerProto.getDescriptor(),
            SamplerProto.getDescriptor(),
            GrpcPredictV2.getDescriptor())) {
      for (Descriptor type : file.getMessageTypes()) {
        collect(type, all);
      }
    }
    return all.stream();
  }

  private static void collect(Descriptor type, List<Descriptor> all) {
    if (type.getOptions().getMapEntry()) {
      return;
    }
    all.add(type);
    type.getNestedTypes().forEach(nested -> collect(nested, all));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyMessageType")
  void roundTripsThroughBytesAndJson(Descriptor type) throws Exception {
    Message generated = generatedDefault(type);
    Message filled = generated.toBuilder().mergeFrom(filled(type, 0).toByteString()).build();
    if (!type.getFields().isEmpty()) {
      assertThat(filled).as("every field set").isNotEqualTo(generated);
    }

    Message parsed = generated.getParserForType().parseFrom(filled.toByteArray());
    assertThat(parsed).isEqualTo(filled);

    String json = JsonFormat.printer().print(filled);
    Message.Builder fromJson = generated.newBuilderForType();
    JsonFormat.parser().merge(json, fromJson);
    assertThat(fromJson.build()).isEqualTo(filled);
  }

  private static Message generatedDefault(Descriptor type) throws ReflectiveOperationException {
    String javaPackage = type.getFile().getOptions().getJavaPackage();
    String nested = type.getFullName().substring(type.getFile().getPackage().length() + 1);
    Class<?> clazz = Class.forName(javaPackage + "." + nested.replace('.', '$'));
    return (Message) clazz.getMethod("getDefaultInstance").invoke(null);
  }

  /** A message of {@code type} with every field (and the first field of each oneof) set. */
  private static Message filled(Descriptor type, int depth) {
    DynamicMessage.Builder builder = DynamicMessage.newBuilder(type);
    for (FieldDescriptor field : type.getFields()) {
      if (field.getRealContainingOneof() != null
          && field.getRealContainingOneof().getFields().get(0) != field) {
        continue;
      }
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && depth > 3) {
        continue;
      }
      if (field.isRepeated()) {
        builder.addRepeatedField(field, sample(field, depth, 1));
        if (!field.isMapField()) {
          builder.addRepeatedField(field, sample(field, depth, 2));
        }
      } else {
        builder.setField(field, sample(field, depth, 1));
      }
    }
    return builder.build();
  }

  private static Object sample(FieldDescriptor field, int depth, int n) {
    return switch (field.getJavaType()) {
      case INT -> 7 * n;
      case LONG -> 7_000_000_000L * n;
      case FLOAT -> 0.5f * n;
      case DOUBLE -> 1.25e-3 * n;
      case BOOLEAN -> true;
      case STRING -> field.getName() + "-" + n;
      case BYTE_STRING -> ByteString.copyFrom(new byte[] {1, 2, (byte) n, (byte) 0xff});
      case ENUM -> field.getEnumType().getValues().get(field.getEnumType().getValues().size() - 1);
      case MESSAGE -> filled(field.getMessageType(), depth + 1);
    };
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("serviceContracts")
  void everyRpcSaysWhichStatusCodesItReturns(Path proto) throws IOException {
    List<String> lines = Files.readAllLines(proto, StandardCharsets.UTF_8);
    String text = String.join("\n", lines);
    assertThat(text)
        .as("the service comment lists the shared status codes")
        .contains("Status codes");
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).trim().startsWith("rpc ")) {
        assertThat(lines.get(i - 1).trim())
            .as("comment above " + lines.get(i).trim())
            .startsWith("//");
      }
    }
  }

  static Stream<Path> serviceContracts() {
    Path contracts = Path.of("target/contracts/piddm/v1");
    return Stream.of("registry.proto", "trainer.proto", "sampler.proto").map(contracts::resolve);
  }
}
