package io.piddm.export;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds one ONNX graph on the protobuf classes: named inputs and outputs, weight initializers
 * shared by name, constants deduplicated by content, nodes in creation (hence topological) order,
 * and a declared static shape for every value so the checker's strict shape inference verifies the
 * shapes this builder tracks. Opset 17, IR version 8.
 */
public final class OnnxGraph {

  public static final int OPSET = 17;
  public static final int IR_VERSION = 8;
  public static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
  public static final int INT64 = TensorProto.DataType.INT64_VALUE;
  public static final int BOOL = TensorProto.DataType.BOOL_VALUE;

  /** An omitted optional input. */
  public static final Sym NONE = new Sym("", new long[0], FLOAT);

  private final String name;
  private final GraphProto.Builder graph = GraphProto.newBuilder();
  private final Map<String, Sym> constants = new HashMap<>();
  private final Map<String, Sym> initializers = new HashMap<>();
  private final Map<String, float[]> initializerData = new HashMap<>();
  private final Map<String, Integer> opCounts = new HashMap<>();
  private final List<Sym> intermediates = new ArrayList<>();
  private int constantCount;

  public OnnxGraph(String name) {
    this.name = name;
    graph.setName(name);
  }

  public Sym input(String inputName, long... shape) {
    Sym s = new Sym(inputName, shape, FLOAT);
    graph.addInput(valueInfo(s));
    return s;
  }

  /** Declares {@code value} as a graph output under {@code outputName} (an Identity renames it). */
  public Sym output(String outputName, Sym value) {
    Sym out = new Sym(outputName, value.shape(), value.elemType());
    graph.addNode(
        NodeProto.newBuilder()
            .setOpType("Identity")
            .setName("output_" + outputName)
            .addInput(value.name())
            .addOutput(outputName));
    graph.addOutput(valueInfo(out));
    return out;
  }

  /**
   * A named float initializer (a weight). Asking again for the same name returns the same value, so
   * a weight used by several rules is stored once.
   */
  public Sym initializer(String initName, float[] data, long... shape) {
    Sym existing = initializers.get(initName);
    if (existing != null) {
      if (!Arrays.equals(existing.shape(), shape)) {
        throw new IllegalArgumentException(initName + ": registered with another shape");
      }
      return existing;
    }
    if (count(shape) != data.length) {
      throw new IllegalArgumentException(
          initName
              + ": "
              + data.length
              + " values for shape "
              + Sym.describe(shape)
              + " ("
              + count(shape)
              + ")");
    }
    Sym s = new Sym(initName, shape, FLOAT);
    graph.addInitializer(floatTensor(initName, data, shape));
    initializers.put(initName, s);
    initializerData.put(initName, data.clone());
    return s;
  }

  /** The values of a float initializer, or null if {@code s} is computed. */
  public float[] initializerData(Sym s) {
    float[] data = initializerData.get(s.name());
    return data == null ? null : data.clone();
  }

  public boolean hasInitializer(String initName) {
    return initializers.containsKey(initName);
  }

  /** A float constant, stored once however often it is asked for. */
  public Sym constant(float[] data, long... shape) {
    String key = "f" + Arrays.toString(shape) + Arrays.toString(data);
    Sym existing = constants.get(key);
    if (existing != null) {
      return existing;
    }
    Sym s = initializer("const_" + constantCount++, data, shape);
    constants.put(key, s);
    return s;
  }

  /** A float scalar (shape []), broadcasting against anything. */
  public Sym scalar(double value) {
    return constant(new float[] {(float) value});
  }

  /** A 1-D int64 constant (axes, shapes, pads, slice bounds), stored once. */
  public Sym longs(long... values) {
    String key = "i" + Arrays.toString(values);
    Sym existing = constants.get(key);
    if (existing != null) {
      return existing;
    }
    String constName = "const_" + constantCount++;
    TensorProto.Builder t =
        TensorProto.newBuilder().setName(constName).setDataType(INT64).addDims(values.length);
    for (long v : values) {
      t.addInt64Data(v);
    }
    graph.addInitializer(t);
    Sym s = new Sym(constName, new long[] {values.length}, INT64);
    constants.put(key, s);
    return s;
  }

  /** One node with one float output of the given shape. */
  public Sym node(String op, long[] outShape, List<Sym> inputs, AttributeProto... attributes) {
    return node(op, FLOAT, outShape, inputs, attributes);
  }

  public Sym node(
      String op, int elemType, long[] outShape, List<Sym> inputs, AttributeProto... attributes) {
    return nodeMulti(op, elemType, List.of(outShape), inputs, attributes).get(0);
  }

  /** One node with several outputs of the given shapes (Split). */
  public List<Sym> nodeMulti(
      String op,
      int elemType,
      List<long[]> outShapes,
      List<Sym> inputs,
      AttributeProto... attributes) {
    int n = opCounts.merge(op, 1, Integer::sum);
    String nodeName = op + "_" + n;
    NodeProto.Builder node = NodeProto.newBuilder().setOpType(op).setName(nodeName);
    for (Sym in : inputs) {
      node.addInput(in.name());
    }
    List<Sym> outs = new ArrayList<>();
    for (int k = 0; k < outShapes.size(); k++) {
      Sym out =
          new Sym(nodeName + (outShapes.size() > 1 ? "_" + k : ""), outShapes.get(k), elemType);
      node.addOutput(out.name());
      outs.add(out);
      intermediates.add(out);
    }
    for (AttributeProto a : attributes) {
      node.addAttribute(a);
    }
    graph.addNode(node);
    return outs;
  }

  public int nodeCount() {
    return graph.getNodeCount();
  }

  /** The finished model with {@code metadata} as metadata_props. */
  public ModelProto model(String docString, Map<String, String> metadata) {
    GraphProto.Builder g = graph.clone();
    for (Sym s : intermediates) {
      g.addValueInfo(valueInfo(s));
    }
    ModelProto.Builder model =
        ModelProto.newBuilder()
            .setIrVersion(IR_VERSION)
            .setProducerName("piddm-export")
            .setProducerVersion("0.1.0")
            .setDomain("io.piddm")
            .setModelVersion(1)
            .setDocString(docString)
            .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
            .setGraph(g.setName(name));
    new LinkedHashMap<>(metadata)
        .forEach(
            (k, v) ->
                model.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return model.build();
  }

  // ---- attributes ----

  public static AttributeProto ints(String attrName, long... values) {
    AttributeProto.Builder a =
        AttributeProto.newBuilder().setName(attrName).setType(AttributeProto.AttributeType.INTS);
    for (long v : values) {
      a.addInts(v);
    }
    return a.build();
  }

  public static AttributeProto integer(String attrName, long value) {
    return AttributeProto.newBuilder()
        .setName(attrName)
        .setType(AttributeProto.AttributeType.INT)
        .setI(value)
        .build();
  }

  public static AttributeProto real(String attrName, double value) {
    return AttributeProto.newBuilder()
        .setName(attrName)
        .setType(AttributeProto.AttributeType.FLOAT)
        .setF((float) value)
        .build();
  }

  public static AttributeProto string(String attrName, String value) {
    return AttributeProto.newBuilder()
        .setName(attrName)
        .setType(AttributeProto.AttributeType.STRING)
        .setS(com.google.protobuf.ByteString.copyFromUtf8(value))
        .build();
  }

  /** A one-element float tensor attribute (ConstantOfShape's value). */
  public static AttributeProto floatTensorAttribute(String attrName, float value) {
    return AttributeProto.newBuilder()
        .setName(attrName)
        .setType(AttributeProto.AttributeType.TENSOR)
        .setT(floatTensor("", new float[] {value}, 1))
        .build();
  }

  // ---- helpers ----

  static long count(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  private static TensorProto floatTensor(String tensorName, float[] data, long... shape) {
    ByteBuffer bytes = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(data);
    TensorProto.Builder t =
        TensorProto.newBuilder()
            .setName(tensorName)
            .setDataType(FLOAT)
            .setRawData(com.google.protobuf.ByteString.copyFrom(bytes.array()));
    for (long d : shape) {
      t.addDims(d);
    }
    return t.build();
  }

  private static ValueInfoProto valueInfo(Sym s) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : s.shape()) {
      shape.addDim(
          d == Sym.BATCH
              ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
              : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder()
        .setName(s.name())
        .setType(
            TypeProto.newBuilder()
                .setTensorType(
                    TypeProto.Tensor.newBuilder().setElemType(s.elemType()).setShape(shape)))
        .build();
  }
}
