package io.piddm.service.testing;

import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import java.util.List;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Random request messages for any protobuf descriptor, built field by field from QuickTheories
 * generators: boundary values for every number (0, ±1, the type's min and max; NaN and ±∞ for
 * floats), hostile strings (empty, paths that climb out, control and non-ASCII characters, very
 * long), byte strings of odd lengths, unknown enum numbers, nested messages, repeated fields of
 * random length. About half the fields are left unset, so "unset means the default" is exercised
 * too. Generated requests reach the server as bytes, exactly as a non-Java client would send them.
 */
final class WireMessages {

  private static final int MAX_DEPTH = 4;

  private static final Gen<Integer> SMALL_INTS = integers().between(-2, 64);
  private static final Gen<Integer> INTS =
      Generate.pick(List.of(0, 1, -1, 2, Integer.MAX_VALUE, Integer.MIN_VALUE, 1 << 20))
          .mix(SMALL_INTS, 40)
          .mix(integers().all(), 30);
  private static final Gen<Long> LONGS =
      Generate.pick(List.of(0L, 1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 33))
          .mix(SMALL_INTS.map(Integer::longValue), 40)
          .mix(longs().all(), 30);
  private static final Gen<Double> DOUBLES =
      Generate.pick(
              List.of(
                  0.0,
                  -0.0,
                  1.0,
                  -1.0,
                  Double.NaN,
                  Double.POSITIVE_INFINITY,
                  Double.NEGATIVE_INFINITY,
                  Double.MAX_VALUE,
                  Double.MIN_VALUE,
                  1e-9))
          .mix(doubles().between(-10, 10), 50);
  private static final Gen<String> STRINGS =
      Generate.pick(
              List.of(
                  "",
                  " ",
                  "../../../../etc/passwd",
                  "/etc/passwd",
                  "..",
                  "a/../../b",
                  "nul\0byte",
                  "line\nbreak",
                  "%s%n%x",
                  "ünï©ødé-名前",
                  "x".repeat(5000),
                  "latest",
                  "darcy",
                  "piddm-darcy32",
                  "DROP TABLE runs;",
                  "Bearer x"))
          .mix(strings().basicLatinAlphabet().ofLengthBetween(0, 24), 50)
          // every Unicode scalar value, none of them a lone surrogate (the client cannot encode
          // one)
          .mix(strings().betweenCodePoints(1, 0xD7FF).ofLengthBetween(0, 8), 10)
          .mix(strings().betweenCodePoints(0xE000, 0x10FFFF).ofLengthBetween(0, 8), 10);
  private static final Gen<ByteString> BYTES =
      Generate.byteArrays(
              Generate.pick(List.of(0, 1, 3, 4, 7, 8, 64, 4097)),
              Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0))
          .map((byte[] b) -> ByteString.copyFrom(b));

  private WireMessages() {}

  /** Random messages of {@code type}. */
  static Gen<Message> of(Descriptor type) {
    return in -> message(type, 0, in);
  }

  /**
   * Valid requests with one to three fields, anywhere in the message tree, replaced by a random
   * value or cleared: most from-scratch requests fail the first check, these reach the deep ones.
   */
  static Gen<Message> mutationsOf(List<? extends Message> valid) {
    Gen<? extends Message> bases = Generate.pick(valid);
    return in -> {
      Message m = bases.generate(in);
      int edits = integers().between(1, 3).generate(in);
      for (int i = 0; i < edits; i++) {
        m = mutate(m, 0, in);
      }
      return m;
    };
  }

  private static Message mutate(Message m, int depth, org.quicktheories.core.RandomnessSource in) {
    List<FieldDescriptor> fields = m.getDescriptorForType().getFields();
    if (fields.isEmpty()) {
      return m;
    }
    FieldDescriptor field = fields.get(integers().between(0, fields.size() - 1).generate(in));
    Message.Builder builder = DynamicMessage.newBuilder(m.getDescriptorForType()).mergeFrom(m);
    boolean nested =
        field.getJavaType() == FieldDescriptor.JavaType.MESSAGE
            && !field.isRepeated()
            && depth < MAX_DEPTH
            && Generate.booleans().generate(in);
    if (nested) {
      Message child =
          m.hasField(field)
              ? (Message) m.getField(field)
              : DynamicMessage.getDefaultInstance(field.getMessageType());
      if (!child.getDescriptorForType().getFields().isEmpty()) {
        return builder.setField(field, mutate(child, depth + 1, in)).build();
      }
    }
    if (integers().between(0, 5).generate(in) == 0) {
      return builder.clearField(field).build();
    }
    if (field.isRepeated()) {
      builder.clearField(field);
      int count = Generate.pick(List.of(0, 1, 2, 5)).generate(in);
      for (int i = 0; i < count; i++) {
        builder.addRepeatedField(field, value(field, depth, in));
      }
      return builder.build();
    }
    return builder.setField(field, value(field, depth, in)).build();
  }

  private static Message message(
      Descriptor type, int depth, org.quicktheories.core.RandomnessSource in) {
    DynamicMessage.Builder builder = DynamicMessage.newBuilder(type);
    for (FieldDescriptor field : type.getFields()) {
      boolean set = Generate.booleans().generate(in);
      if (!set || (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && depth >= MAX_DEPTH)) {
        continue;
      }
      if (field.isRepeated()) {
        int count = Generate.pick(List.of(0, 1, 2, 3, 5, 9)).generate(in);
        for (int i = 0; i < count; i++) {
          builder.addRepeatedField(field, value(field, depth, in));
        }
      } else if (field.getContainingOneof() == null
          || !builder.hasOneof(field.getContainingOneof())) {
        builder.setField(field, value(field, depth, in));
      }
    }
    return builder.build();
  }

  private static Object value(
      FieldDescriptor field, int depth, org.quicktheories.core.RandomnessSource in) {
    return switch (field.getJavaType()) {
      case INT -> INTS.generate(in);
      case LONG -> LONGS.generate(in);
      case FLOAT -> DOUBLES.generate(in).floatValue();
      case DOUBLE -> DOUBLES.generate(in);
      case BOOLEAN -> Generate.booleans().generate(in);
      case STRING -> STRINGS.generate(in);
      case BYTE_STRING -> BYTES.generate(in);
      case ENUM -> enumValue(field.getEnumType(), in);
      case MESSAGE -> message(field.getMessageType(), depth + 1, in);
    };
  }

  /** A declared value, or a number the schema does not know (proto3 enums are open). */
  private static Object enumValue(EnumDescriptor type, org.quicktheories.core.RandomnessSource in) {
    int pick = integers().between(0, type.getValues().size()).generate(in);
    if (pick < type.getValues().size()) {
      return type.getValues().get(pick);
    }
    return type.isClosed()
        ? type.getValues().get(0)
        : type.findValueByNumberCreatingIfUnknown(Generate.pick(List.of(99, -7)).generate(in));
  }
}
