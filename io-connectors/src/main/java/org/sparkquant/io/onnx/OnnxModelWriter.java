package org.sparkquant.io.onnx;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;
import org.sparkquant.io.onnx.proto.Onnx.AttributeProto;
import org.sparkquant.io.onnx.proto.Onnx.GraphProto;
import org.sparkquant.io.onnx.proto.Onnx.ModelProto;
import org.sparkquant.io.onnx.proto.Onnx.NodeProto;
import org.sparkquant.io.onnx.proto.Onnx.OperatorSetIdProto;
import org.sparkquant.io.onnx.proto.Onnx.StringStringEntryProto;
import org.sparkquant.io.onnx.proto.Onnx.TensorShapeProto;
import org.sparkquant.io.onnx.proto.Onnx.TypeProto;
import org.sparkquant.io.onnx.proto.Onnx.ValueInfoProto;

/** Writes a {@link Graph} as an ONNX model with all tensors inline ({@code raw_data}). */
public final class OnnxModelWriter {
  /** Name written into {@code producer_name}. */
  public static final String PRODUCER = "SparkQuant";

  /** Writes {@code graph} to {@code file}, replacing it. */
  public void write(Graph graph, Path file) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      write(graph, out);
    }
  }

  /** Writes {@code graph} to {@code out}, which stays open. */
  public void write(Graph graph, OutputStream out) throws IOException {
    toProto(graph).writeTo(out);
  }

  /** The serialized ONNX model for {@code graph} (models up to protobuf's 2 GB limit). */
  public byte[] toBytes(Graph graph) {
    return toProto(graph).toByteArray();
  }

  /** The ONNX model for {@code graph}. */
  public ModelProto toProto(Graph graph) {
    GraphProto.Builder g = GraphProto.newBuilder().setName(graph.name());
    graph.inputs().forEach(v -> g.addInput(valueInfo(v)));
    graph.outputs().forEach(v -> g.addOutput(valueInfo(v)));
    graph.valueInfos().values().forEach(v -> g.addValueInfo(valueInfo(v)));
    for (Map.Entry<String, Tensor> c : graph.constants().entrySet()) {
      g.addInitializer(TensorCodec.encode(c.getKey(), c.getValue()));
    }
    for (Node n : graph.nodes()) {
      g.addNode(node(n));
    }
    ModelProto.Builder m =
        ModelProto.newBuilder()
            .setIrVersion(irVersionFor(graph.defaultOpset()))
            .setProducerName(PRODUCER)
            .setGraph(g);
    graph.opsets().forEach((domain, version) ->
        m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(domain).setVersion(version)));
    graph.metadata().forEach((k, v) -> m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return m.build();
  }

  /**
   * The IR version released together with an opset (the lowest one able to carry it), as in ONNX's release table:
   * opset 23 came with IR 11 (float4), 24 with IR 12, and 25 (int2/uint2) and 26 with IR 13, the newest that ONNX
   * Runtime 1.29 loads.
   */
  static long irVersionFor(long opset) {
    if (opset <= 14) {
      return 7;
    } else if (opset <= 18) {
      return 8;
    } else if (opset <= 20) {
      return 9;
    } else if (opset <= 22) {
      return 10;
    } else if (opset == 23) {
      return 11;
    } else if (opset == 24) {
      return 12;
    }
    return 13;
  }

  private static NodeProto node(Node n) {
    NodeProto.Builder b =
        NodeProto.newBuilder()
            .setName(n.name())
            .setOpType(n.opType())
            .addAllInput(n.inputs())
            .addAllOutput(n.outputs());
    if (!n.domain().isEmpty()) {
      b.setDomain(n.domain());
    }
    for (Attribute a : n.attributes().values()) {
      b.addAttribute(attribute(a));
    }
    return b.build();
  }

  @SuppressWarnings("unchecked")
  private static AttributeProto attribute(Attribute a) {
    AttributeProto.Builder b = AttributeProto.newBuilder().setName(a.name());
    switch (a.kind()) {
      case INT -> b.setType(AttributeProto.AttributeType.INT).setI((Long) a.value());
      case FLOAT -> b.setType(AttributeProto.AttributeType.FLOAT).setF((Float) a.value());
      case STRING -> b.setType(AttributeProto.AttributeType.STRING)
          .setS(com.google.protobuf.ByteString.copyFromUtf8((String) a.value()));
      case TENSOR -> b.setType(AttributeProto.AttributeType.TENSOR).setT(TensorCodec.encode("", (Tensor) a.value()));
      case INTS -> {
        b.setType(AttributeProto.AttributeType.INTS);
        for (long v : (long[]) a.value()) {
          b.addInts(v);
        }
      }
      case FLOATS -> {
        b.setType(AttributeProto.AttributeType.FLOATS);
        for (float v : (float[]) a.value()) {
          b.addFloats(v);
        }
      }
      case STRINGS -> {
        b.setType(AttributeProto.AttributeType.STRINGS);
        for (String s : (List<String>) a.value()) {
          b.addStrings(com.google.protobuf.ByteString.copyFromUtf8(s));
        }
      }
    }
    return b.build();
  }

  private static ValueInfoProto valueInfo(ValueInfo v) {
    ValueInfoProto.Builder b = ValueInfoProto.newBuilder().setName(v.name());
    if (v.dataType() == null && v.dims() == null) {
      return b.build();
    }
    TypeProto.Tensor.Builder t = TypeProto.Tensor.newBuilder();
    if (v.dataType() != null) {
      t.setElemType(v.dataType().onnxCode());
    }
    if (v.dims() != null) {
      TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
      for (Dim d : v.dims()) {
        TensorShapeProto.Dimension.Builder db = TensorShapeProto.Dimension.newBuilder();
        if (d.isKnown()) {
          db.setDimValue(d.size());
        } else if (d.symbol() != null) {
          db.setDimParam(d.symbol());
        }
        s.addDim(db);
      }
      t.setShape(s);
    }
    return b.setType(TypeProto.newBuilder().setTensorType(t)).build();
  }
}
