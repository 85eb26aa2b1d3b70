package org.sparkquant.core.fusion;

import java.util.List;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;

/**
 * A weighted op with its bias and normalization followed by HardSwish spelled as {@code x * HardSigmoid(x)}: the
 * block value {@code x} is read by exactly the HardSigmoid and the Mul, and the Mul also reads the HardSigmoid.
 */
public final class WeightedHardSwishMul extends WeightedSelfGated {
  @Override
  public String name() {
    return "weighted-hardswish-mul";
  }

  @Override
  List<Node> gate(Graph graph, String x, List<Node> readers) {
    return readers.stream().filter(n -> Chains.is(n, "HardSigmoid")).limit(1).toList();
  }
}
