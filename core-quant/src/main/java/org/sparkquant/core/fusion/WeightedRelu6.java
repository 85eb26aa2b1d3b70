package org.sparkquant.core.fusion;

import java.util.List;
import java.util.Optional;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;

/**
 * A weighted op with its bias and normalization followed by Relu6 spelled as {@code Clip(x, 0, 6)}: bounds as
 * constant inputs (opset 11 and later) or as {@code min}/{@code max} attributes (earlier opsets).
 */
public final class WeightedRelu6 implements FusionPattern {
  @Override
  public String name() {
    return "weighted-relu6";
  }

  @Override
  public Optional<FusionBlock> match(Graph graph, Node anchor) {
    List<Node> prefix = Chains.weightedPrefix(graph, anchor);
    if (prefix.isEmpty()) {
      return Optional.empty();
    }
    Node clip = Chains.next(graph, prefix.get(prefix.size() - 1));
    if (!Chains.is(clip, "Clip") || !clip.inputs().get(0).equals(Chains.out(prefix.get(prefix.size() - 1)))
        || !isRelu6(graph, clip)) {
      return Optional.empty();
    }
    return FusionBlock.of(graph, name(), Chains.append(prefix, clip));
  }

  /** Whether {@code clip} clips to [0, 6]. */
  static boolean isRelu6(Graph graph, Node clip) {
    return bound(graph, clip, 1, "min") == 0f && bound(graph, clip, 2, "max") == 6f;
  }

  private static float bound(Graph graph, Node clip, int input, String attribute) {
    if (clip.inputs().size() > input && !clip.inputs().get(input).isEmpty()) {
      Float v = Chains.scalar(graph, clip.inputs().get(input));
      return v == null ? Float.NaN : v;
    }
    Attribute a = clip.attributes().get(attribute);
    return a == null ? Float.NaN : (Float) a.value();
  }
}
