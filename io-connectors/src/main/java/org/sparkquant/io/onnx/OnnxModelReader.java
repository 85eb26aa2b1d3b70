package org.sparkquant.io.onnx;

import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.exec.OpRegistry;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.ModelFormatException;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;
import org.sparkquant.core.passes.ConstantFolding;
import org.sparkquant.io.fs.FileStore;
import org.sparkquant.io.onnx.proto.Onnx.AttributeProto;
import org.sparkquant.io.onnx.proto.Onnx.GraphProto;
import org.sparkquant.io.onnx.proto.Onnx.ModelProto;
import org.sparkquant.io.onnx.proto.Onnx.NodeProto;
import org.sparkquant.io.onnx.proto.Onnx.OperatorSetIdProto;
import org.sparkquant.io.onnx.proto.Onnx.StringStringEntryProto;
import org.sparkquant.io.onnx.proto.Onnx.TensorProto;
import org.sparkquant.io.onnx.proto.Onnx.TensorShapeProto;
import org.sparkquant.io.onnx.proto.Onnx.TypeProto;
import org.sparkquant.io.onnx.proto.Onnx.ValueInfoProto;

/**
 * Reads an ONNX file into a validated {@link Graph}: initializers and {@code Constant} nodes become constants,
 * nameless nodes get stable names ({@code OpType_k}), the structure and every operator are checked against the
 * kernel registry, and constant subgraphs are folded. Every error is a {@link ModelFormatException} whose message
 * names the file and the node, field or tensor at fault.
 */
public final class OnnxModelReader {
  private final OpRegistry registry;
  private final boolean foldConstants;

  /** A reader that validates against the standard kernels and folds constants. */
  public OnnxModelReader() {
    this(OpRegistry.standard(), true);
  }

  public OnnxModelReader(OpRegistry registry, boolean foldConstants) {
    this.registry = registry;
    this.foldConstants = foldConstants;
  }

  /** Reads, validates and (optionally) folds the model at {@code file}. */
  public Graph read(Path file) {
    String where = "model file '" + file + "'";
    if (!Files.exists(file)) {
      throw new ModelFormatException(where + " does not exist");
    }
    if (Files.isDirectory(file)) {
      throw new ModelFormatException(where + " is a directory; expected an .onnx file");
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ModelFormatException(where + " cannot be read: " + e.getMessage());
    }
    try {
      return read(bytes, where, new LocalExternalData(file));
    } catch (IOException e) {
      throw new ModelFormatException(where + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads, validates and (optionally) folds the model at {@code location} on any file system of {@code store}, with
   * its external data files beside it.
   */
  public Graph read(FileStore store, String location) {
    java.nio.file.Path local = store.localFile(location);
    if (local != null) {
      return read(local);
    }
    byte[] bytes;
    try {
      bytes = store.readFile(location, "model file");
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException(e.getMessage());
    }
    return read(bytes, "model file '" + location + "'", new StoredExternalData(store, store.path(location)));
  }

  /**
   * Reads, validates and (optionally) folds a self-contained model from its bytes (e.g. shipped to Spark
   * executors); {@code name} names it in errors. Tensors in external files are refused.
   */
  public Graph read(byte[] bytes, String name) {
    return read(bytes, "model '" + name + "'", null);
  }

  private Graph read(byte[] bytes, String where, ExternalData external) {
    if (bytes.length == 0) {
      throw new ModelFormatException(where + " is empty");
    }
    ModelProto model;
    try {
      CodedInputStream in = CodedInputStream.newInstance(bytes);
      in.enableAliasing(true);
      in.setSizeLimit(Integer.MAX_VALUE);
      model = ModelProto.parseFrom(in);
    } catch (IOException e) {
      throw new ModelFormatException(where + " is not a valid ONNX model (truncated or not protobuf): "
          + e.getMessage());
    }
    if (!model.hasGraph() || model.getIrVersion() <= 0 || model.getOpsetImportCount() == 0) {
      throw new ModelFormatException(
          where + " is not an ONNX model: " + (!model.hasGraph() ? "no graph" : model.getIrVersion() <= 0
              ? "no ir_version" : "no opset_import"));
    }
    try {
      Graph graph = toGraph(model, external);
      registry.validate(graph);
      return foldConstants ? new ConstantFolding(registry).apply(graph) : graph;
    } catch (ModelFormatException e) {
      throw new ModelFormatException(where + ": " + e.getMessage(), e);
    }
  }

  static Graph toGraph(ModelProto model, ExternalData external) {
    GraphProto g = model.getGraph();
    Graph.Builder b = Graph.builder().name(g.getName().isEmpty() ? "graph" : g.getName());
    for (OperatorSetIdProto op : model.getOpsetImportList()) {
      b.opset(op.getDomain(), op.getVersion());
    }
    for (StringStringEntryProto e : model.getMetadataPropsList()) {
      b.metadata(e.getKey(), e.getValue());
    }
    Set<String> initializerNames = new HashSet<>();
    for (TensorProto t : g.getInitializerList()) {
      if (t.getName().isEmpty()) {
        throw new ModelFormatException("an initializer has no name");
      }
      b.addConstant(t.getName(), TensorCodec.decode(t, external));
      initializerNames.add(t.getName());
    }
    if (g.getSparseInitializerCount() > 0) {
      throw new ModelFormatException("sparse initializers are not supported");
    }
    for (ValueInfoProto v : g.getInputList()) {
      if (!initializerNames.contains(v.getName())) {
        b.addInput(valueInfo(v));
      }
    }
    for (ValueInfoProto v : g.getOutputList()) {
      b.addOutput(valueInfo(v));
    }
    for (ValueInfoProto v : g.getValueInfoList()) {
      b.addValueInfo(valueInfo(v));
    }
    Set<String> usedNames = new HashSet<>();
    g.getNodeList().forEach(n -> usedNames.add(n.getName()));
    Map<String, Integer> counters = new LinkedHashMap<>();
    Set<String> seen = new HashSet<>();
    for (NodeProto n : g.getNodeList()) {
      String name = n.getName();
      if (name.isEmpty() || !seen.add(name)) {
        do {
          name = n.getOpType() + "_" + counters.merge(n.getOpType(), 1, Integer::sum);
        } while (usedNames.contains(name) || seen.contains(name));
        seen.add(name);
      }
      Node node = toNode(name, n, external);
      if (node.opType().equals("Constant") && node.domain().isEmpty() && node.outputs().size() == 1) {
        b.addConstant(node.outputs().get(0), constantValue(node));
      } else {
        b.addNode(node);
      }
    }
    return b.build();
  }

  private static Node toNode(String name, NodeProto n, ExternalData external) {
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    for (AttributeProto a : n.getAttributeList()) {
      attrs.put(a.getName(), attribute(name, n.getOpType(), a, external));
    }
    return new Node(name, n.getOpType(), n.getDomain(), n.getInputList(), n.getOutputList(), attrs);
  }

  private static Attribute attribute(String node, String op, AttributeProto a, ExternalData external) {
    AttributeProto.AttributeType type = a.hasType() ? a.getType() : inferType(a);
    String where = "node '" + node + "' (" + op + "): attribute '" + a.getName() + "'";
    return switch (type) {
      case INT -> Attribute.of(a.getName(), a.getI());
      case FLOAT -> Attribute.of(a.getName(), a.getF());
      case STRING -> Attribute.of(a.getName(), a.getS().toStringUtf8());
      case TENSOR -> Attribute.of(a.getName(), TensorCodec.decode(a.getT(), external));
      case INTS -> Attribute.of(a.getName(), a.getIntsList().stream().mapToLong(Long::longValue).toArray());
      case FLOATS -> {
        float[] f = new float[a.getFloatsCount()];
        for (int i = 0; i < f.length; i++) {
          f[i] = a.getFloats(i);
        }
        yield Attribute.of(a.getName(), f);
      }
      case STRINGS -> new Attribute(
          a.getName(), Attribute.Kind.STRINGS, a.getStringsList().stream().map(s -> s.toStringUtf8()).toList());
      default -> throw new ModelFormatException(where + " has type " + type + ", which is not supported"
          + (type == AttributeProto.AttributeType.GRAPH ? " (control flow subgraphs)" : ""));
    };
  }

  /** Before IR version 2 the type was implied by which field is set. */
  private static AttributeProto.AttributeType inferType(AttributeProto a) {
    if (a.hasF()) {
      return AttributeProto.AttributeType.FLOAT;
    } else if (a.hasI()) {
      return AttributeProto.AttributeType.INT;
    } else if (a.hasS()) {
      return AttributeProto.AttributeType.STRING;
    } else if (a.hasT()) {
      return AttributeProto.AttributeType.TENSOR;
    } else if (a.hasG()) {
      return AttributeProto.AttributeType.GRAPH;
    } else if (a.getFloatsCount() > 0) {
      return AttributeProto.AttributeType.FLOATS;
    } else if (a.getIntsCount() > 0) {
      return AttributeProto.AttributeType.INTS;
    } else if (a.getStringsCount() > 0) {
      return AttributeProto.AttributeType.STRINGS;
    }
    return AttributeProto.AttributeType.UNDEFINED;
  }

  /** The tensor of a {@code Constant} node, from whichever value attribute it uses. */
  private static Tensor constantValue(Node node) {
    if (node.attributes().size() != 1) {
      throw new ModelFormatException(node.describe() + ": expected exactly one value attribute");
    }
    Attribute a = node.attributes().values().iterator().next();
    return switch (a.name()) {
      case "value" -> expect(node, a, Attribute.Kind.TENSOR, (Tensor) a.value());
      case "value_float" -> Tensor.ofFloats(new long[0], (Float) expect(node, a, Attribute.Kind.FLOAT, a.value()));
      case "value_floats" -> {
        float[] v = (float[]) expect(node, a, Attribute.Kind.FLOATS, a.value());
        yield Tensor.ofFloats(new long[] {v.length}, v);
      }
      case "value_int" -> Tensor.ofLongs(new long[0], (Long) expect(node, a, Attribute.Kind.INT, a.value()));
      case "value_ints" -> {
        long[] v = (long[]) expect(node, a, Attribute.Kind.INTS, a.value());
        yield Tensor.ofLongs(new long[] {v.length}, v);
      }
      default -> throw new ModelFormatException(node.describe() + ": unsupported value attribute '" + a.name() + "'");
    };
  }

  private static <T> T expect(Node node, Attribute a, Attribute.Kind kind, T value) {
    if (a.kind() != kind) {
      throw new ModelFormatException(
          node.describe() + ": attribute '" + a.name() + "' must be " + kind + ", found " + a.kind());
    }
    return value;
  }

  private static ValueInfo valueInfo(ValueInfoProto v) {
    if (!v.getType().hasTensorType()) {
      return new ValueInfo(v.getName(), null, null);
    }
    TypeProto.Tensor t = v.getType().getTensorType();
    DataType type = null;
    if (t.getElemType() != 0) {
      try {
        type = DataType.fromOnnx(t.getElemType());
      } catch (IllegalArgumentException e) {
        throw new ModelFormatException("value '" + v.getName() + "': " + e.getMessage());
      }
    }
    if (!t.hasShape()) {
      return new ValueInfo(v.getName(), type, null);
    }
    List<Dim> dims = new ArrayList<>();
    for (TensorShapeProto.Dimension d : t.getShape().getDimList()) {
      if (d.hasDimValue() && d.getDimValue() >= 0) {
        dims.add(Dim.of(d.getDimValue()));
      } else {
        dims.add(Dim.symbolic(d.hasDimParam() ? d.getDimParam() : null));
      }
    }
    return new ValueInfo(v.getName(), type, dims);
  }
}
