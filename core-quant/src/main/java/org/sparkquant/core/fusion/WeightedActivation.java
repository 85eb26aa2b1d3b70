package org.sparkquant.core.fusion;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;

/**
 * A weighted op with its bias and normalization ({@link Chains#weightedPrefix}) followed by one element-wise
 * activation node of a given type (Relu, Clip, HardSigmoid, HardSwish, LeakyRelu, Sigmoid), whose other inputs, if
 * any (Clip's bounds), are constants.
 */
public final class WeightedActivation implements FusionPattern {
  private final String activation;

  /** @param activation the activation's op type, e.g. {@code Relu} */
  public WeightedActivation(String activation) {
    this.activation = activation;
  }

  @Override
  public String name() {
    return "weighted-" + activation.toLowerCase(Locale.ROOT);
  }

  @Override
  public Optional<FusionBlock> match(Graph graph, Node anchor) {
    List<Node> prefix = Chains.weightedPrefix(graph, anchor);
    if (prefix.isEmpty()) {
      return Optional.empty();
    }
    String x = Chains.out(prefix.get(prefix.size() - 1));
    Node act = Chains.next(graph, prefix.get(prefix.size() - 1));
    if (!Chains.is(act, activation) || !act.inputs().get(0).equals(x)) {
      return Optional.empty();
    }
    for (String extra : act.inputs().subList(1, act.inputs().size())) {
      if (!extra.isEmpty() && !graph.constants().containsKey(extra)) {
        return Optional.empty();
      }
    }
    return FusionBlock.of(graph, name(), Chains.append(prefix, act));
  }
}
