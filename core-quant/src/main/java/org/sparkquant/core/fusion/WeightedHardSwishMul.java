package org.sparkquant.core.fusion;

import java.util.List;
import java.util.Optional;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;

/**
 * A weighted op with its bias and normalization followed by HardSwish spelled as {@code x * HardSigmoid(x)}: the
 * block value {@code x} is read by exactly the HardSigmoid and the Mul, and the Mul also reads the HardSigmoid.
 */
public final class WeightedHardSwishMul implements FusionPattern {
  @Override
  public String name() {
    return "weighted-hardsigmoid-mul";
  }

  @Override
  public Optional<FusionBlock> match(Graph graph, Node anchor) {
    List<Node> prefix = Chains.weightedPrefix(graph, anchor);
    if (prefix.isEmpty()) {
      return Optional.empty();
    }
    String x = Chains.out(prefix.get(prefix.size() - 1));
    List<Node> readers = Chains.twoReaders(graph, x);
    if (readers.isEmpty()) {
      return Optional.empty();
    }
    Node sigmoid = readers.stream().filter(n -> Chains.is(n, "HardSigmoid")).findFirst().orElse(null);
    if (sigmoid == null) {
      return Optional.empty();
    }
    Node mul = Chains.next(graph, sigmoid);
    if (!Chains.withInputs(mul, "Mul", x, Chains.out(sigmoid)) || !readers.contains(mul)) {
      return Optional.empty();
    }
    return FusionBlock.of(graph, name(), Chains.append(prefix, sigmoid, mul));
  }
}
