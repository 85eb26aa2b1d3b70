package org.sparkquant.core.fusion;

import java.util.List;
import java.util.Optional;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;

/**
 * A Conv, ConvTranspose, Gemm or MatMul with its bias and normalization ({@link Chains#weightedPrefix}) and no
 * activation: the fallback block of every weighted op.
 */
public final class WeightedOp implements FusionPattern {
  @Override
  public String name() {
    return "weighted";
  }

  @Override
  public Optional<FusionBlock> match(Graph graph, Node anchor) {
    List<Node> prefix = Chains.weightedPrefix(graph, anchor);
    return prefix.isEmpty() ? Optional.empty() : FusionBlock.of(graph, name(), prefix);
  }
}
