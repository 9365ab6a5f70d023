package io.piddm.registry.core;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.nio.charset.StandardCharsets;

/** Objects in the bucket are protobuf messages in their JSON mapping, readable by people. */
final class Json {

  private static final JsonFormat.Printer PRINTER = JsonFormat.printer();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

  private Json() {}

  static byte[] write(Message message) {
    try {
      return PRINTER.print(message).getBytes(StandardCharsets.UTF_8);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + message.getDescriptorForType(), e);
    }
  }

  @SuppressWarnings("unchecked")
  static <T extends Message> T read(byte[] json, T prototype) {
    Message.Builder builder = prototype.newBuilderForType();
    try {
      PARSER.merge(new String(json, StandardCharsets.UTF_8), builder);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(
          "stored " + prototype.getDescriptorForType().getName() + " is not valid JSON", e);
    }
    return (T) builder.build();
  }
}
