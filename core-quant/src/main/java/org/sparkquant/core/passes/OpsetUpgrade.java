package org.sparkquant.core.passes;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.GraphPass;
import org.sparkquant.core.graph.ModelFormatException;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;

/**
 * Raises a graph's default-domain operator set version, rewriting the operators whose signature or meaning changed
 * on the way so the model computes exactly what it did: attributes that became inputs (Reduce* axes, Squeeze and
 * Unsqueeze axes, Split sizes, Slice bounds, Clip bounds, Pad pads and value), Split's {@code num_outputs} (18),
 * Softmax/LogSoftmax's change from 2-D coercion to a single axis (13), Upsample to Resize, Resize's roi input (11),
 * and Dropout, which inference turns into Identity. Quantized export needs this: int4 needs opset 21, fp8 19, int2 25.
 */
public final class OpsetUpgrade implements GraphPass {
  private static final Set<String> REDUCE_18 = Set.of("ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
      "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp");

  private final long target;

  public OpsetUpgrade(long target) {
    this.target = target;
  }

  @Override
  public Graph apply(Graph graph) {
    long from = graph.defaultOpset();
    if (from == target) {
      return graph;
    }
    if (from > target) {
      throw new IllegalArgumentException("cannot lower opset " + from + " to " + target);
    }
    Rewriter r = new Rewriter(graph, from);
    for (Node n : graph.nodes()) {
      r.upgrade(n);
    }
    Graph.Builder b = graph.toBuilder().clearNodes();
    graph.opsets().keySet().stream().filter(d -> d.isEmpty() || d.equals("ai.onnx")).toList().forEach(d ->
        b.opset(d, target));
    r.nodes.forEach(b::addNode);
    r.constants.forEach(b::addConstant);
    return b.build();
  }

  /** Collects rewritten nodes and the constants they need, with fresh names. */
  private final class Rewriter {
    final Graph graph;
    final long from;
    final List<Node> nodes = new ArrayList<>();
    final Map<String, Tensor> constants = new LinkedHashMap<>();
    final Set<String> taken = new HashSet<>();

    Rewriter(Graph graph, long from) {
      this.graph = graph;
      this.from = from;
      taken.addAll(graph.constants().keySet());
      graph.inputs().forEach(v -> taken.add(v.name()));
      for (Node n : graph.nodes()) {
        taken.add(n.name());
        taken.addAll(n.outputs());
      }
    }

    /** Whether a change introduced at opset {@code version} lies between the graph's opset and the target. */
    boolean crosses(long version) {
      return from < version && target >= version;
    }

    String fresh(String base) {
      String name = base;
      for (int i = 1; taken.contains(name); i++) {
        name = base + "_" + i;
      }
      taken.add(name);
      return name;
    }

    String constant(String base, Tensor t) {
      String name = fresh(base);
      constants.put(name, t);
      return name;
    }

    void upgrade(Node n) {
      if (!n.domain().isEmpty() && !n.domain().equals("ai.onnx")) {
        nodes.add(n);
        return;
      }
      String op = n.opType();
      if (op.equals("ReduceSum") && crosses(13) || REDUCE_18.contains(op) && crosses(18)
          || (op.equals("Squeeze") || op.equals("Unsqueeze")) && crosses(13)) {
        nodes.add(attributesToInputs(n, List.of("axes")));
      } else if (op.equals("Split")) {
        upgradeSplit(n);
      } else if (op.equals("Slice") && crosses(10)) {
        nodes.add(attributesToInputs(n, List.of("starts", "ends", "axes")));
      } else if (op.equals("Clip") && crosses(11)) {
        nodes.add(scalarsToInputs(n, List.of("min", "max")));
      } else if (op.equals("Pad") && crosses(11)) {
        Node p = attributesToInputs(n, List.of("pads"));
        nodes.add(scalarsToInputs(p, List.of("value")));
      } else if (op.equals("Dropout")) {
        nodes.add(rebuild(n, "Identity", n.inputs().subList(0, 1), n.outputs().subList(0, 1), Map.of()));
      } else if ((op.equals("Softmax") || op.equals("LogSoftmax")) && crosses(13)) {
        upgradeSoftmax(n);
      } else if (op.equals("Upsample") && target >= 10) {
        upgradeUpsample(n);
      } else if (op.equals("Resize") && crosses(11)) {
        Map<String, Attribute> attrs = new LinkedHashMap<>(n.attributes());
        attrs.put("coordinate_transformation_mode", Attribute.of("coordinate_transformation_mode", "asymmetric"));
        attrs.putIfAbsent("nearest_mode", Attribute.of("nearest_mode", "floor"));
        nodes.add(rebuild(n, "Resize", List.of(n.inputs().get(0), "", n.inputs().get(1)), n.outputs(), attrs));
      } else if (op.equals("BatchNormalization") && crosses(9)) {
        Map<String, Attribute> attrs = new LinkedHashMap<>(n.attributes());
        attrs.remove("spatial");
        nodes.add(rebuild(n, op, n.inputs(), n.outputs(), attrs));
      } else {
        nodes.add(n);
      }
    }

    /** Moves integer-list attributes to int64 constant inputs, in the given input order (absent ones stay empty). */
    Node attributesToInputs(Node n, List<String> names) {
      Map<String, Attribute> attrs = new LinkedHashMap<>(n.attributes());
      List<String> inputs = new ArrayList<>(n.inputs());
      List<String> added = new ArrayList<>();
      for (String a : names) {
        Attribute attr = attrs.remove(a);
        added.add(attr == null ? "" : constant(n.name() + "_" + a, longs(n, attr)));
      }
      while (!added.isEmpty() && added.get(added.size() - 1).isEmpty()) {
        added.remove(added.size() - 1);
      }
      inputs.addAll(added);
      return rebuild(n, n.opType(), inputs, n.outputs(), attrs);
    }

    /** Moves float attributes to scalar float constant inputs appended in order (absent ones stay empty). */
    Node scalarsToInputs(Node n, List<String> names) {
      Map<String, Attribute> attrs = new LinkedHashMap<>(n.attributes());
      List<String> inputs = new ArrayList<>(n.inputs());
      for (String a : names) {
        Attribute attr = attrs.remove(a);
        inputs.add(attr == null ? "" : constant(n.name() + "_" + a, Tensor.ofFloats(new long[0], (Float) attr.value())));
      }
      while (inputs.size() > 1 && inputs.get(inputs.size() - 1).isEmpty()) {
        inputs.remove(inputs.size() - 1);
      }
      return rebuild(n, n.opType(), inputs, n.outputs(), attrs);
    }

    private Tensor longs(Node n, Attribute a) {
      if (a.kind() != Attribute.Kind.INTS) {
        throw new ModelFormatException(n.describe() + ": attribute '" + a.name() + "' must be INTS");
      }
      long[] v = (long[]) a.value();
      return Tensor.ofLongs(new long[] {v.length}, v);
    }

    void upgradeSplit(Node n) {
      Node s = crosses(13) ? attributesToInputs(n, List.of("split")) : n;
      boolean hasSizes = s.inputs().size() > 1 && !s.inputs().get(1).isEmpty();
      if (crosses(18) && !hasSizes && !s.attributes().containsKey("num_outputs")) {
        Map<String, Attribute> attrs = new LinkedHashMap<>(s.attributes());
        attrs.put("num_outputs", Attribute.of("num_outputs", (long) s.outputs().size()));
        s = rebuild(s, "Split", s.inputs(), s.outputs(), attrs);
      }
      nodes.add(s);
    }

    /** Before 13, softmax normalized the 2-D coercion at {@code axis}: Flatten there, normalize rows, restore. */
    void upgradeSoftmax(Node n) {
      long axis = n.attributes().containsKey("axis") ? (Long) n.attributes().get("axis").value() : 1;
      String x = n.inputs().get(0);
      if (axis == -1) {
        nodes.add(n);
        return;
      }
      String shape = fresh(n.name() + "_shape");
      String flat = fresh(n.name() + "_flat");
      String rows = fresh(n.name() + "_rows");
      nodes.add(Node.of(fresh(n.name() + "/Shape"), "Shape", List.of(x), List.of(shape)));
      nodes.add(Node.of(fresh(n.name() + "/Flatten"), "Flatten", List.of(x), List.of(flat), Attribute.of("axis", axis)));
      nodes.add(rebuild(n, n.opType(), List.of(flat), List.of(rows), Map.of("axis", Attribute.of("axis", -1L))));
      nodes.add(Node.of(fresh(n.name() + "/Reshape"), "Reshape", List.of(rows, shape), n.outputs()));
    }

    void upgradeUpsample(Node n) {
      String scales = n.inputs().size() > 1
          ? n.inputs().get(1)
          : constant(n.name() + "_scales", scalesOf(n));
      String mode = n.attributes().containsKey("mode") ? (String) n.attributes().get("mode").value() : "nearest";
      Map<String, Attribute> attrs = new LinkedHashMap<>();
      attrs.put("mode", Attribute.of("mode", mode.equals("bilinear") ? "linear" : mode));
      List<String> inputs = List.of(n.inputs().get(0), scales);
      if (target >= 11) {
        attrs.put("coordinate_transformation_mode", Attribute.of("coordinate_transformation_mode", "asymmetric"));
        attrs.put("nearest_mode", Attribute.of("nearest_mode", "floor"));
        inputs = List.of(n.inputs().get(0), "", scales);
      }
      nodes.add(rebuild(n, "Resize", inputs, n.outputs(), attrs));
    }

    private Tensor scalesOf(Node n) {
      Attribute a = n.attributes().get("scales");
      if (a == null) {
        throw new ModelFormatException(n.describe() + ": needs 'scales'");
      }
      float[] s = (float[]) a.value();
      return Tensor.ofFloats(new long[] {s.length}, s);
    }

    private Node rebuild(Node n, String op, List<String> inputs, List<String> outputs, Map<String, Attribute> attrs) {
      return new Node(n.name(), op, n.domain(), inputs, outputs, attrs);
    }
  }
}
