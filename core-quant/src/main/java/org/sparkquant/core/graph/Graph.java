package org.sparkquant.core.graph;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An immutable computation graph: inputs, constants, nodes in topological order, outputs, plus the operator set
 * versions and free-form metadata of the model it came from.
 *
 * <p>{@link Builder#build()} checks the structure and orders the nodes: every input of a node must be a graph input,
 * a constant or the output of another node; no value is produced twice; the graph has no cycle. Errors name the node.
 */
public final class Graph {
  private final String name;
  private final List<ValueInfo> inputs;
  private final List<ValueInfo> outputs;
  private final Map<String, ValueInfo> valueInfos;
  private final Map<String, Tensor> constants;
  private final List<Node> nodes;
  private final Map<String, Long> opsets;
  private final Map<String, String> metadata;
  private final Map<String, Node> producers;
  private final Map<String, List<Node>> consumers;
  private final Set<String> outputNames;

  private Graph(Builder b, List<Node> ordered) {
    this.name = b.name;
    this.inputs = List.copyOf(b.inputs);
    this.outputs = List.copyOf(b.outputs);
    this.valueInfos = Collections.unmodifiableMap(new LinkedHashMap<>(b.valueInfos));
    this.constants = Collections.unmodifiableMap(new LinkedHashMap<>(b.constants));
    this.nodes = List.copyOf(ordered);
    this.opsets = Collections.unmodifiableMap(new LinkedHashMap<>(b.opsets));
    this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(b.metadata));
    Map<String, Node> p = new HashMap<>();
    for (Node n : nodes) {
      for (String o : n.outputs()) {
        if (!o.isEmpty()) {
          p.put(o, n);
        }
      }
    }
    this.producers = Collections.unmodifiableMap(p);
    Map<String, List<Node>> c = new HashMap<>();
    for (Node n : nodes) {
      for (String in : new java.util.LinkedHashSet<>(n.inputs())) {
        if (!in.isEmpty()) {
          c.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        }
      }
    }
    c.replaceAll((k, v) -> List.copyOf(v));
    this.consumers = Collections.unmodifiableMap(c);
    Set<String> o = new HashSet<>();
    outputs.forEach(v -> o.add(v.name()));
    this.outputNames = Collections.unmodifiableSet(o);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder initialised with everything in this graph, for passes that derive a new graph. */
  public Builder toBuilder() {
    Builder b = new Builder().name(name);
    inputs.forEach(b::addInput);
    outputs.forEach(b::addOutput);
    valueInfos.values().forEach(b::addValueInfo);
    constants.forEach(b::addConstant);
    nodes.forEach(b::addNode);
    opsets.forEach(b::opset);
    metadata.forEach(b::metadata);
    return b;
  }

  public String name() {
    return name;
  }

  public List<ValueInfo> inputs() {
    return inputs;
  }

  public List<ValueInfo> outputs() {
    return outputs;
  }

  /** Declared types/shapes of intermediate values (ONNX {@code value_info}). */
  public Map<String, ValueInfo> valueInfos() {
    return valueInfos;
  }

  /** Named constant tensors: initializers and folded {@code Constant} nodes. */
  public Map<String, Tensor> constants() {
    return constants;
  }

  /** Nodes in a topological order. */
  public List<Node> nodes() {
    return nodes;
  }

  /** Operator set version per domain ({@code ""} is the default ONNX domain). */
  public Map<String, Long> opsets() {
    return opsets;
  }

  /** Version of the default ONNX operator set. */
  public long defaultOpset() {
    Long v = opsets.get("");
    if (v == null) {
      v = opsets.get("ai.onnx");
    }
    return v == null ? 0 : v;
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  /** The node that produces {@code value}, or null for graph inputs and constants. */
  public Node producer(String value) {
    return producers.get(value);
  }

  /** The nodes that read {@code value}, each once, in topological order; empty when none does. */
  public List<Node> consumers(String value) {
    return consumers.getOrDefault(value, List.of());
  }

  /** Whether {@code value} is one of the graph's outputs. */
  public boolean isOutput(String value) {
    return outputNames.contains(value);
  }

  /** Declared info for a value from inputs, outputs or value_info, or null. */
  public ValueInfo valueInfo(String value) {
    for (ValueInfo v : inputs) {
      if (v.name().equals(value)) {
        return v;
      }
    }
    for (ValueInfo v : outputs) {
      if (v.name().equals(value)) {
        return v;
      }
    }
    return valueInfos.get(value);
  }

  /** Total number of elements in floating-point constants: the parameter count. */
  public long parameterCount() {
    long n = 0;
    for (Tensor t : constants.values()) {
      if (t.dataType().isFloatingPoint()) {
        n += t.numElements();
      }
    }
    return n;
  }

  /** Builds graphs; {@link #build()} validates and orders. */
  public static final class Builder {
    private String name = "graph";
    private final List<ValueInfo> inputs = new ArrayList<>();
    private final List<ValueInfo> outputs = new ArrayList<>();
    private final Map<String, ValueInfo> valueInfos = new LinkedHashMap<>();
    private final Map<String, Tensor> constants = new LinkedHashMap<>();
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Long> opsets = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public Builder name(String name) {
      this.name = name;
      return this;
    }

    public Builder addInput(ValueInfo v) {
      inputs.add(v);
      return this;
    }

    public Builder addOutput(ValueInfo v) {
      outputs.add(v);
      return this;
    }

    public Builder addValueInfo(ValueInfo v) {
      valueInfos.put(v.name(), v);
      return this;
    }

    public Builder addConstant(String name, Tensor t) {
      constants.put(name, t);
      return this;
    }

    public Builder removeConstant(String name) {
      constants.remove(name);
      return this;
    }

    public Builder addNode(Node n) {
      nodes.add(n);
      return this;
    }

    public Builder clearNodes() {
      nodes.clear();
      return this;
    }

    public Builder opset(String domain, long version) {
      opsets.put(domain, version);
      return this;
    }

    public Builder metadata(String key, String value) {
      metadata.put(key, value);
      return this;
    }

    /** Validates the structure and returns the graph with nodes in topological order. */
    public Graph build() {
      Set<String> available = new HashSet<>(constants.keySet());
      for (ValueInfo v : inputs) {
        available.add(v.name());
      }
      Map<String, Node> producer = new HashMap<>();
      Set<String> nodeNames = new HashSet<>();
      for (Node n : nodes) {
        if (!nodeNames.add(n.name())) {
          throw new ModelFormatException("node name '" + n.name() + "' is used by more than one node");
        }
        for (String o : n.outputs()) {
          if (o.isEmpty()) {
            continue;
          }
          if (producer.containsKey(o) || available.contains(o)) {
            throw new ModelFormatException(
                n.describe() + ": output '" + o + "' is already produced elsewhere in the graph");
          }
          producer.put(o, n);
        }
      }
      for (Node n : nodes) {
        for (String in : n.inputs()) {
          if (!in.isEmpty() && !available.contains(in) && !producer.containsKey(in)) {
            throw new ModelFormatException(
                n.describe() + ": input '" + in + "' is not a graph input, constant or output of any node");
          }
        }
      }
      for (ValueInfo out : outputs) {
        if (!available.contains(out.name()) && !producer.containsKey(out.name())) {
          throw new ModelFormatException("graph output '" + out.name() + "' is not produced by any node");
        }
      }
      return new Graph(this, topologicalOrder(producer));
    }

    /** Kahn's algorithm, keeping the declared order among ready nodes; reports a node on a cycle. */
    private List<Node> topologicalOrder(Map<String, Node> producer) {
      Map<Node, Integer> pending = new HashMap<>();
      Map<Node, List<Node>> consumers = new HashMap<>();
      Map<Node, Integer> position = new HashMap<>();
      for (int i = 0; i < nodes.size(); i++) {
        Node n = nodes.get(i);
        position.put(n, i);
        Set<Node> deps = new HashSet<>();
        for (String in : n.inputs()) {
          Node p = in.isEmpty() ? null : producer.get(in);
          if (p != null && deps.add(p)) {
            consumers.computeIfAbsent(p, k -> new ArrayList<>()).add(n);
          }
        }
        pending.put(n, deps.size());
      }
      java.util.PriorityQueue<Node> ready =
          new java.util.PriorityQueue<>(java.util.Comparator.comparingInt(position::get));
      for (Node n : nodes) {
        if (pending.get(n) == 0) {
          ready.add(n);
        }
      }
      List<Node> ordered = new ArrayList<>(nodes.size());
      while (!ready.isEmpty()) {
        Node n = ready.poll();
        ordered.add(n);
        for (Node c : consumers.getOrDefault(n, List.of())) {
          if (pending.merge(c, -1, Integer::sum) == 0) {
            ready.add(c);
          }
        }
      }
      if (ordered.size() != nodes.size()) {
        Deque<Node> stuck = new ArrayDeque<>();
        for (Node n : nodes) {
          if (pending.get(n) > 0) {
            stuck.add(n);
          }
        }
        throw new ModelFormatException(
            "the graph has a cycle through " + stuck.peek().describe() + " (" + stuck.size()
                + " nodes cannot be ordered)");
      }
      return ordered;
    }
  }
}
