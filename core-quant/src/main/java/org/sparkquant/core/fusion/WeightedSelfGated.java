package org.sparkquant.core.fusion;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;

/**
 * A weighted op with its bias and normalization followed by HardSwish spelled out as {@code x * gate(x)}: the block
 * value {@code x} is read by exactly the gate's first node and the Mul, and the Mul also reads the gate's output.
 * Subclasses say how the gate is spelled, and what completes the activation after the Mul.
 */
abstract class WeightedSelfGated implements FusionPattern {
  @Override
  public final Optional<FusionBlock> match(Graph graph, Node anchor) {
    List<Node> prefix = Chains.weightedPrefix(graph, anchor);
    if (prefix.isEmpty()) {
      return Optional.empty();
    }
    String x = Chains.out(prefix.get(prefix.size() - 1));
    List<Node> readers = Chains.twoReaders(graph, x);
    if (readers.isEmpty()) {
      return Optional.empty();
    }
    List<Node> gate = gate(graph, x, readers);
    if (gate.isEmpty()) {
      return Optional.empty();
    }
    Node last = gate.get(gate.size() - 1);
    Node mul = Chains.next(graph, last);
    if (!Chains.withInputs(mul, "Mul", x, Chains.out(last)) || !readers.contains(mul)) {
      return Optional.empty();
    }
    Optional<List<Node>> after = after(graph, mul);
    if (after.isEmpty()) {
      return Optional.empty();
    }
    List<Node> nodes = new ArrayList<>(prefix);
    nodes.addAll(gate);
    nodes.add(mul);
    nodes.addAll(after.get());
    return FusionBlock.of(graph, name(), nodes);
  }

  /**
   * The nodes computing {@code gate(x)} in order, the first one among {@code readers} (the two readers of {@code x});
   * empty when the gate is not spelled this way.
   */
  abstract List<Node> gate(Graph graph, String x, List<Node> readers);

  /** The nodes after the Mul that complete the activation (none by default), or empty when they do not match. */
  Optional<List<Node>> after(Graph graph, Node mul) {
    return Optional.of(List.of());
  }

  /** The input of a binary node other than {@code value}. */
  static String other(Node binary, String value) {
    return binary.inputs().get(0).equals(value) ? binary.inputs().get(1) : binary.inputs().get(0);
  }
}
