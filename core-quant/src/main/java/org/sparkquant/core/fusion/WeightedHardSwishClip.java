package org.sparkquant.core.fusion;

import java.util.List;
import java.util.Optional;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;

/**
 * A weighted op with its bias and normalization followed by HardSwish spelled as {@code x * Clip(x + 3, 0, 6) / 6}
 * (Add, Clip, Mul, then Div by 6 or Mul by 1/6), as PaddlePaddle exports it.
 */
public final class WeightedHardSwishClip extends WeightedSelfGated {
  @Override
  public String name() {
    return "weighted-hardswish-clip";
  }

  @Override
  List<Node> gate(Graph graph, String x, List<Node> readers) {
    Node add = readers.stream().filter(n -> Chains.withConstant(graph, n, "Add", x)).findFirst().orElse(null);
    if (add == null || !Float.valueOf(3f).equals(Chains.scalar(graph, other(add, x)))) {
      return List.of();
    }
    Node clip = Chains.next(graph, add);
    if (!Chains.is(clip, "Clip") || !clip.inputs().get(0).equals(Chains.out(add))
        || !WeightedRelu6.isRelu6(graph, clip)) {
      return List.of();
    }
    return List.of(add, clip);
  }

  @Override
  Optional<List<Node>> after(Graph graph, Node mul) {
    Node scale = Chains.next(graph, mul);
    boolean div6 = Chains.withConstant(graph, scale, "Div", Chains.out(mul))
        && scale.inputs().get(0).equals(Chains.out(mul))
        && Float.valueOf(6f).equals(Chains.scalar(graph, scale.inputs().get(1)));
    boolean mulSixth = Chains.withConstant(graph, scale, "Mul", Chains.out(mul))
        && Chains.scalar(graph, other(scale, Chains.out(mul))) != null
        && Math.abs(Chains.scalar(graph, other(scale, Chains.out(mul))) - 1f / 6) < 1e-6f;
    return div6 || mulSixth ? Optional.of(List.of(scale)) : Optional.empty();
  }
}
