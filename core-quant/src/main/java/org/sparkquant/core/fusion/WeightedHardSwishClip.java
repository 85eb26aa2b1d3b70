package org.sparkquant.core.fusion;

import java.util.List;
import java.util.Optional;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;

/**
 * A weighted op with its bias and normalization followed by HardSwish spelled as {@code x * Clip(x + 3, 0, 6) / 6}
 * (Add, Clip, Mul, then Div by 6 or Mul by 1/6), as PaddlePaddle exports it.
 */
public final class WeightedHardSwishClip implements FusionPattern {
  @Override
  public String name() {
    return "weighted-hardswish-clip";
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
    Node add = readers.stream().filter(n -> Chains.withConstant(graph, n, "Add", x)).findFirst().orElse(null);
    if (add == null || !Float.valueOf(3f).equals(Chains.scalar(graph, other(add, x)))) {
      return Optional.empty();
    }
    Node clip = Chains.next(graph, add);
    if (!Chains.is(clip, "Clip") || !clip.inputs().get(0).equals(Chains.out(add))
        || !WeightedRelu6.isRelu6(graph, clip)) {
      return Optional.empty();
    }
    Node mul = Chains.next(graph, clip);
    if (!Chains.withInputs(mul, "Mul", x, Chains.out(clip)) || !readers.contains(mul)) {
      return Optional.empty();
    }
    Node scale = Chains.next(graph, mul);
    boolean div6 = Chains.withConstant(graph, scale, "Div", Chains.out(mul))
        && scale.inputs().get(0).equals(Chains.out(mul))
        && Float.valueOf(6f).equals(Chains.scalar(graph, scale.inputs().get(1)));
    boolean mulSixth = Chains.withConstant(graph, scale, "Mul", Chains.out(mul))
        && Chains.scalar(graph, other(scale, Chains.out(mul))) != null
        && Math.abs(Chains.scalar(graph, other(scale, Chains.out(mul))) - 1f / 6) < 1e-6f;
    if (!div6 && !mulSixth) {
      return Optional.empty();
    }
    return FusionBlock.of(graph, name(), Chains.append(prefix, add, clip, mul, scale));
  }

  private static String other(Node binary, String value) {
    return binary.inputs().get(0).equals(value) ? binary.inputs().get(1) : binary.inputs().get(0);
  }
}
