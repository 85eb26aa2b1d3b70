package org.sparkquant.core.fusion;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;

/**
 * A group of nodes that runs as one fused kernel: quantizers may sit at its inputs and at its output, never on a
 * value inside it.
 *
 * @param pattern the name of the pattern that matched
 * @param nodes the nodes in topological order, the anchor first
 * @param inputs the non-constant values the block reads from outside, in order of first use
 * @param output the block's single output value (the first output of its last node)
 */
public record FusionBlock(String pattern, List<Node> nodes, List<String> inputs, String output) {

  public FusionBlock {
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("a fusion block needs at least one node (pattern '" + pattern + "')");
    }
    nodes = List.copyOf(nodes);
    inputs = List.copyOf(inputs);
  }

  /**
   * The block formed by {@code nodes} (topological order, anchor first), or empty when it is not a block of
   * {@code graph}: every value the nodes produce, except the first output of the last node, must be read only by
   * nodes of the block (in a chain, by exactly the next node) and must not be a graph output.
   */
  public static Optional<FusionBlock> of(Graph graph, String pattern, List<Node> nodes) {
    Set<String> members = new HashSet<>();
    nodes.forEach(n -> members.add(n.name()));
    if (nodes.isEmpty() || members.size() != nodes.size()) {
      return Optional.empty();
    }
    Node last = nodes.get(nodes.size() - 1);
    String output = last.outputs().isEmpty() ? "" : last.outputs().get(0);
    if (output.isEmpty()) {
      return Optional.empty();
    }
    Set<String> produced = new HashSet<>();
    for (Node n : nodes) {
      for (String v : n.outputs()) {
        if (v.isEmpty()) {
          continue;
        }
        produced.add(v);
        if (v.equals(output)) {
          continue;
        }
        if (graph.isOutput(v) || !graph.consumers(v).stream().allMatch(c -> members.contains(c.name()))) {
          return Optional.empty();
        }
      }
    }
    Set<String> inputs = new LinkedHashSet<>();
    for (Node n : nodes) {
      for (String v : n.inputs()) {
        if (!v.isEmpty() && !produced.contains(v) && !graph.constants().containsKey(v)) {
          inputs.add(v);
        }
      }
    }
    return Optional.of(new FusionBlock(pattern, nodes, new ArrayList<>(inputs), output));
  }

  /** The first node, where the pattern matched. */
  public Node anchor() {
    return nodes.get(0);
  }

  /** Values produced inside the block other than its output: no quantizer may sit on them. */
  public Set<String> interior() {
    Set<String> values = new LinkedHashSet<>();
    for (Node n : nodes) {
      n.outputs().stream().filter(v -> !v.isEmpty() && !v.equals(output)).forEach(values::add);
    }
    return values;
  }

  /** The op types joined by {@code +}, e.g. {@code Conv+BatchNormalization+Relu}. */
  public String ops() {
    return nodes.stream().map(Node::qualifiedOpType).collect(Collectors.joining("+"));
  }
}
