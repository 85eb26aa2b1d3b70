package org.sparkquant.core.quantizer;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;

/**
 * Where activation quantizers go, and which of them share parameters.
 *
 * <p>Every non-constant input of Conv, ConvTranspose, Gemm and MatMul is quantized for that consumer only, so
 * other consumers (residual additions, normalizations) keep float. In graph mode, quantization also reaches back
 * through value-preserving ops — MaxPool, AveragePool, Flatten, Reshape, Transpose, Squeeze, Unsqueeze and Concat —
 * whose input and output then share one set of parameters, so a runtime can execute them on integers; a value
 * quantized for several consumers gets one quantizer (no duplicates). In eager mode, each op is quantized on its
 * own instead: the outputs of Conv, ConvTranspose, Gemm and MatMul are quantized for all their consumers too (a
 * Conv → BatchNormalization → Relu chain gets a quantizer between Conv and BatchNormalization), with no sharing.
 */
public final class ActivationPlacement {
  /** Single-input ops whose output values are (a selection of) their input values. */
  public static final Set<String> VALUE_PRESERVING =
      Set.of("MaxPool", "AveragePool", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze");

  /** A node input that reads a quantized value. */
  public record Use(String node, int input) {}

  private final Map<String, Set<Use>> uses = new LinkedHashMap<>();
  private final Map<String, String> parent = new HashMap<>();

  private ActivationPlacement() {}

  /** The placement for {@code graph} in {@code mode}. */
  public static ActivationPlacement of(Graph graph, QuantizerConfig.ExecutionMode mode) {
    ActivationPlacement p = new ActivationPlacement();
    Deque<String> work = new ArrayDeque<>();
    for (Node n : graph.nodes()) {
      if (WeightQuantizer.WEIGHTED_OPS.contains(n.opType()) && n.domain().isEmpty()) {
        for (int i = 0; i < Math.min(2, n.inputs().size()); i++) {
          if (p.add(graph, n.inputs().get(i), new Use(n.name(), i))) {
            work.add(n.inputs().get(i));
          }
        }
      }
    }
    if (mode == QuantizerConfig.ExecutionMode.EAGER) {
      Set<String> outputs = new LinkedHashSet<>();
      graph.outputs().forEach(v -> outputs.add(v.name()));
      for (Node n : graph.nodes()) {
        if (WeightQuantizer.WEIGHTED_OPS.contains(n.opType()) && n.domain().isEmpty()
            && !outputs.contains(n.outputs().get(0))) {
          for (Node c : graph.nodes()) {
            for (int i = 0; i < c.inputs().size(); i++) {
              if (c.inputs().get(i).equals(n.outputs().get(0))) {
                p.add(graph, c.inputs().get(i), new Use(c.name(), i));
              }
            }
          }
        }
      }
    } else {
      Set<String> done = new LinkedHashSet<>();
      while (!work.isEmpty()) {
        String v = work.poll();
        Node producer = graph.producer(v);
        if (!done.add(v) || producer == null || !producer.domain().isEmpty()) {
          continue;
        }
        boolean concat = producer.opType().equals("Concat");
        if (!concat && !VALUE_PRESERVING.contains(producer.opType())) {
          continue;
        }
        int inputs = concat ? producer.inputs().size() : 1;
        for (int i = 0; i < inputs; i++) {
          String s = producer.inputs().get(i);
          if (p.add(graph, s, new Use(producer.name(), i))) {
            p.union(v, s);
            work.add(s);
          }
        }
      }
    }
    return p;
  }

  private boolean add(Graph g, String value, Use use) {
    if (value.isEmpty() || g.constants().containsKey(value)) {
      return false;
    }
    uses.computeIfAbsent(value, k -> new LinkedHashSet<>()).add(use);
    parent.putIfAbsent(value, value);
    return true;
  }

  private String find(String v) {
    String root = v;
    while (!parent.get(root).equals(root)) {
      root = parent.get(root);
    }
    parent.put(v, root);
    return root;
  }

  private void union(String a, String b) {
    String ra = find(a);
    String rb = find(b);
    if (!ra.equals(rb)) {
      parent.put(rb, ra);
    }
  }

  /** Quantized values, each with the node inputs that read its quantized form. */
  public Map<String, Set<Use>> uses() {
    return uses;
  }

  /** The value whose parameters {@code value} shares (itself when it shares with nobody). */
  public String group(String value) {
    return find(value);
  }

  /** Values that share parameters with some other value, for reports and tests. */
  public List<Set<String>> sharedGroups() {
    Map<String, Set<String>> groups = new LinkedHashMap<>();
    for (String v : uses.keySet()) {
      groups.computeIfAbsent(find(v), k -> new LinkedHashSet<>()).add(v);
    }
    return groups.values().stream().filter(s -> s.size() > 1).toList();
  }
}
