package org.sparkquant.core.exec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.GraphPass;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;

/**
 * Executor-private rewrite of decomposed subgraphs that exporters emit into single engine kernels:
 *
 * <ul>
 *   <li>LayerNorm: {@code ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div, Mul γ, Add β} over the last axis
 *       becomes {@code LayerNormalization};
 *   <li>GELU: {@code Div √2 (or Mul 1/√2), Erf, Add 1, Mul x, Mul 0.5} becomes {@code Gelu};
 *   <li>bias: {@code MatMul} by a constant 2-D weight followed by {@code Add} of a constant 1-D bias becomes
 *       {@value #MATMUL_BIAS} (one fused multiply-add kernel).
 * </ul>
 *
 * <p>A pattern is rewritten only when none of its internal values is pinned (observed or transformed), is a graph
 * output, or is used outside the pattern; its input and output values keep their names, so transforms and listeners
 * on them behave as on the original graph. The user-visible graph is never changed.
 */
public final class KernelFusion implements GraphPass {
  /** Op type (in {@link OpRegistry#SPARKQUANT_DOMAIN}) of the fused matrix product with bias. */
  public static final String MATMUL_BIAS = "MatMulBias";

  private final Set<String> pinned;

  /** @param pinned values that must stay computed on their own */
  public KernelFusion(Set<String> pinned) {
    this.pinned = Set.copyOf(pinned);
  }

  @Override
  public Graph apply(Graph graph) {
    Matcher m = new Matcher(graph);
    Map<Node, Node> replacements = new LinkedHashMap<>();
    Set<Node> removed = new HashSet<>();
    for (Node n : graph.nodes()) {
      if (removed.contains(n)) {
        continue;
      }
      List<Node> matched = new ArrayList<>();
      Node fused =
          switch (n.opType()) {
            case "ReduceMean" -> m.layerNorm(n, matched);
            case "Erf" -> m.gelu(n, matched);
            case "MatMul" -> m.matMulBias(n, matched);
            default -> null;
          };
      if (fused != null && matched.stream().noneMatch(removed::contains)) {
        removed.addAll(matched);
        replacements.put(matched.get(matched.size() - 1), renamed(fused, matched));
      }
    }
    if (removed.isEmpty()) {
      return graph;
    }
    Graph.Builder b = graph.toBuilder().clearNodes();
    for (Node n : graph.nodes()) {
      if (replacements.containsKey(n)) {
        b.addNode(replacements.get(n));
      } else if (!removed.contains(n)) {
        b.addNode(n);
      }
    }
    return b.build();
  }

  /** Names a fused node after the nodes it replaces ({@code a+b}, or {@code first+…+last}), so errors stay legible. */
  private static Node renamed(Node fused, List<Node> matched) {
    String first = matched.get(0).name();
    String last = matched.get(matched.size() - 1).name();
    String name = matched.size() == 2 ? first + "+" + last : first + "+…+" + last;
    return new Node(name, fused.opType(), fused.domain(), fused.inputs(), fused.outputs(), fused.attributes());
  }

  /** Pattern matching over one graph's use-def chains. */
  private final class Matcher {
    private final Graph graph;
    private final Map<String, List<Node>> consumers = new HashMap<>();
    private final Set<String> outputs = new HashSet<>();

    Matcher(Graph graph) {
      this.graph = graph;
      for (Node n : graph.nodes()) {
        for (String in : n.inputs()) {
          consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        }
      }
      graph.outputs().stream().map(ValueInfo::name).forEach(outputs::add);
    }

    /** The single consumer of {@code value} if it is an internal value that may disappear, else null. */
    private Node only(String value, String opType) {
      List<Node> c = consumers.getOrDefault(value, List.of());
      if (c.size() != 1 || outputs.contains(value) || pinned.contains(value)) {
        return null;
      }
      return c.get(0).opType().equals(opType) && c.get(0).domain().isEmpty() ? c.get(0) : null;
    }

    private Float scalar(String value) {
      Tensor t = graph.constants().get(value);
      if (t == null || t.numElements() != 1 || t.dataType() != org.sparkquant.core.graph.DataType.FLOAT) {
        return null;
      }
      return t.floats()[0];
    }

    private boolean isConstant(String value, int rank) {
      Tensor t = graph.constants().get(value);
      return t != null && t.rank() == rank;
    }

    /** The operand of a binary node other than {@code value}. */
    private String other(Node n, String value) {
      return n.inputs().get(0).equals(value) ? n.inputs().get(1) : n.inputs().get(0);
    }

    private boolean lastAxisMean(Node mean) {
      if (mean.attributes().containsKey("keepdims") && (Long) mean.attributes().get("keepdims").value() != 1) {
        return false;
      }
      long[] axes;
      if (mean.inputs().size() > 1) {
        Tensor t = graph.constants().get(mean.inputs().get(1));
        axes = t == null ? null : t.longs();
      } else {
        Attribute a = mean.attributes().get("axes");
        axes = a == null ? null : (long[]) a.value();
      }
      return axes != null && axes.length == 1 && axes[0] == -1;
    }

    Node layerNorm(Node mean, List<Node> matched) {
      String x = mean.inputs().get(0);
      if (!lastAxisMean(mean)) {
        return null;
      }
      Node sub = only(mean.outputs().get(0), "Sub");
      if (sub == null || !sub.inputs().equals(List.of(x, mean.outputs().get(0)))) {
        return null;
      }
      String d = sub.outputs().get(0);
      List<Node> dUses = consumers.getOrDefault(d, List.of());
      if (dUses.size() != 2 || outputs.contains(d) || pinned.contains(d)) {
        return null;
      }
      Node pow = dUses.stream().filter(n -> n.opType().equals("Pow")).findFirst().orElse(null);
      Node div = dUses.stream().filter(n -> n.opType().equals("Div")).findFirst().orElse(null);
      if (pow == null || div == null || !pow.inputs().get(0).equals(d) || !div.inputs().get(0).equals(d)) {
        return null;
      }
      Float two = scalar(pow.inputs().get(1));
      Node mean2 = only(pow.outputs().get(0), "ReduceMean");
      if (two == null || two != 2f || mean2 == null || !lastAxisMean(mean2)) {
        return null;
      }
      Node addEps = only(mean2.outputs().get(0), "Add");
      Float eps = addEps == null ? null : scalar(other(addEps, mean2.outputs().get(0)));
      Node sqrt = addEps == null ? null : only(addEps.outputs().get(0), "Sqrt");
      if (eps == null || sqrt == null || only(sqrt.outputs().get(0), "Div") != div
          || !div.inputs().get(1).equals(sqrt.outputs().get(0))) {
        return null;
      }
      Node scale = only(div.outputs().get(0), "Mul");
      String gamma = scale == null ? null : other(scale, div.outputs().get(0));
      Node shift = scale == null ? null : only(scale.outputs().get(0), "Add");
      String beta = shift == null ? null : other(shift, scale.outputs().get(0));
      if (shift == null || !isConstant(gamma, 1) || !isConstant(beta, 1)) {
        return null;
      }
      matched.addAll(List.of(mean, sub, pow, mean2, addEps, sqrt, div, scale, shift));
      return Node.of(shift.name(), "LayerNormalization", List.of(x, gamma, beta), shift.outputs(),
          Attribute.of("axis", -1L), Attribute.of("epsilon", eps.floatValue()));
    }

    Node gelu(Node erf, List<Node> matched) {
      String a = erf.inputs().get(0);
      Node scaleIn = graph.producer(a);
      if (scaleIn == null || only(a, "Erf") != erf) {
        return null;
      }
      String x = scaleIn.inputs().get(0);
      Float c = scalar(scaleIn.inputs().get(1));
      boolean ok = c != null && (scaleIn.opType().equals("Div") && Math.abs(c - Math.sqrt(2)) < 1e-4
          || scaleIn.opType().equals("Mul") && Math.abs(c - Math.sqrt(0.5)) < 1e-4);
      Node plusOne = ok ? only(erf.outputs().get(0), "Add") : null;
      Float one = plusOne == null ? null : scalar(other(plusOne, erf.outputs().get(0)));
      Node times = one != null && one == 1f ? only(plusOne.outputs().get(0), "Mul") : null;
      if (times == null || !other(times, plusOne.outputs().get(0)).equals(x)) {
        return null;
      }
      Node half = only(times.outputs().get(0), "Mul");
      Float h = half == null ? null : scalar(other(half, times.outputs().get(0)));
      if (h == null || h != 0.5f) {
        return null;
      }
      matched.addAll(List.of(scaleIn, erf, plusOne, times, half));
      return Node.of(half.name(), "Gelu", List.of(x), half.outputs());
    }

    Node matMulBias(Node matMul, List<Node> matched) {
      String w = matMul.inputs().get(1);
      Node add = only(matMul.outputs().get(0), "Add");
      if (add == null || !isConstant(w, 2)) {
        return null;
      }
      String bias = other(add, matMul.outputs().get(0));
      Tensor b = graph.constants().get(bias);
      if (b == null || b.rank() != 1 || b.shape()[0] != graph.constants().get(w).shape()[1]) {
        return null;
      }
      matched.addAll(List.of(matMul, add));
      return new Node(add.name(), MATMUL_BIAS, OpRegistry.SPARKQUANT_DOMAIN,
          List.of(matMul.inputs().get(0), w, bias), add.outputs(), Map.of());
    }
  }
}
