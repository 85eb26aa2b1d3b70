package org.sparkquant.core.gptq;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.quantizer.WeightQuantizer;
import org.sparkquant.core.quantizer.WeightSpec;

/**
 * Which weights of a model GPTQ quantizes and in what order: the weights the config selects
 * ({@link WeightQuantizer#targets}), as {@code [rows = outputs, cols = inputs]} matrices, grouped by the activation
 * they read (q, k and v of an attention block read one value and share one Hessian), groups in the graph's
 * (topological) order. Weights GPTQ does not handle fall back to round to nearest, with the reason.
 *
 * <p>Handled: MatMul with a 2-D weight {@code [in, out]} (stored transposed), Gemm without {@code transA} (either
 * {@code transB}), and Conv with {@code group = 1} per tensor or per channel (inputs unfolded by
 * {@link ConvUnfold}). Per-block Conv weights are blocked along the input channels only, not along GPTQ's unfolded
 * columns, so they fall back, as do grouped Conv, ConvTranspose and weights read by several nodes.
 *
 * <p>Deterministic and cheap (no engine), so driver and executors each build it from the same model and config.
 */
public final class GptqLayers {
  /**
   * One weight as GPTQ's matrix.
   *
   * @param target the weight and its spec
   * @param rows output channels
   * @param cols input features (the Hessian's size)
   * @param transposed the weight is stored {@code [cols, rows]} (MatMul, Gemm without transB)
   */
  public record Layer(WeightQuantizer.Target target, int rows, int cols, boolean transposed) {
    public String weight() {
      return target.weight();
    }
  }

  /**
   * Layers that read the same activation the same way, and so share one Hessian.
   *
   * @param index position in {@link #groups()}
   * @param input the activation the layers read
   * @param features the Hessian's size
   * @param unfold how a Conv's input becomes rows, or null for MatMul and Gemm (rows are all leading positions)
   * @param layers the layers, in node order
   */
  public record Group(int index, String input, int features, ConvUnfold unfold, List<Layer> layers) {
    public Group {
      layers = List.copyOf(layers);
    }
  }

  /** A weight quantized by round to nearest instead, and why. */
  public record Fallback(WeightQuantizer.Target target, String reason) {}

  private final Graph graph;
  private final List<Group> groups;
  private final List<Fallback> fallbacks;
  private final List<WeightQuantizer.Target> targets;

  private GptqLayers(
      Graph graph, List<WeightQuantizer.Target> targets, List<Group> groups, List<Fallback> fallbacks) {
    this.graph = graph;
    this.targets = List.copyOf(targets);
    this.groups = List.copyOf(groups);
    this.fallbacks = List.copyOf(fallbacks);
  }

  /** The layers of {@code model} under {@code config} (rules checked, BatchNorm folded in graph mode). */
  public static GptqLayers of(Graph model, QuantizerConfig config) {
    Graph g = WeightQuantizer.graphFor(model, config);
    Map<String, Integer> readers = new java.util.HashMap<>();
    for (Node n : g.nodes()) {
      for (String in : n.inputs()) {
        readers.merge(in, 1, Integer::sum);
      }
    }
    Map<String, List<Layer>> byKey = new LinkedHashMap<>();
    Map<String, ConvUnfold> unfolds = new java.util.HashMap<>();
    List<Fallback> fallbacks = new ArrayList<>();
    List<WeightQuantizer.Target> targets = WeightQuantizer.targets(g, config);
    for (WeightQuantizer.Target t : targets) {
      Node n = t.node();
      Tensor w = g.constants().get(t.weight());
      long[] s = w.shape();
      String why = null;
      Layer layer = null;
      ConvUnfold unfold = null;
      if (readers.getOrDefault(t.weight(), 0) > 1) {
        why = "the weight is read by several nodes";
      } else if (n.opType().equals("MatMul")) {
        if (s.length != 2) {
          why = "MatMul weights of rank " + s.length + " are not handled";
        } else {
          layer = new Layer(t, Math.toIntExact(s[1]), Math.toIntExact(s[0]), true);
        }
      } else if (n.opType().equals("Gemm")) {
        if (flag(n, "transA")) {
          why = "Gemm with transA is not handled";
        } else if (flag(n, "transB")) {
          layer = new Layer(t, Math.toIntExact(s[0]), Math.toIntExact(s[1]), false);
        } else {
          layer = new Layer(t, Math.toIntExact(s[1]), Math.toIntExact(s[0]), true);
        }
      } else if (n.opType().equals("Conv")) {
        unfold = ConvUnfold.of(n, s);
        if (unfold.group() != 1) {
          why = "grouped Conv is not handled";
        } else if (t.spec().layout() == WeightSpec.Layout.PER_BLOCK) {
          why = "per-block Conv weights are blocked along input channels, not GPTQ's unfolded columns";
        } else {
          layer = new Layer(t, Math.toIntExact(s[0]), unfold.features(s[1]), false);
        }
      } else {
        why = n.opType() + " is not handled";
      }
      if (layer == null) {
        fallbacks.add(new Fallback(t, why));
        continue;
      }
      String input = n.inputs().get(0);
      String key = input + "|" + layer.cols() + (unfold == null ? "" : "|" + describe(unfold));
      byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(layer);
      if (unfold != null) {
        unfolds.put(key, unfold);
      }
    }
    List<Group> groups = new ArrayList<>();
    for (Map.Entry<String, List<Layer>> e : byKey.entrySet()) {
      Layer first = e.getValue().get(0);
      groups.add(new Group(groups.size(), first.target().node().inputs().get(0), first.cols(),
          unfolds.get(e.getKey()), e.getValue()));
    }
    return new GptqLayers(g, targets, groups, fallbacks);
  }

  private static boolean flag(Node n, String name) {
    Attribute a = n.attributes().get(name);
    return a != null && (Long) a.value() != 0;
  }

  private static String describe(ConvUnfold u) {
    return Arrays.toString(u.kernel()) + Arrays.toString(u.strides()) + Arrays.toString(u.dilations())
        + Arrays.toString(u.pads()) + u.autoPad();
  }

  /** The graph the weights belong to (after graph-mode passes). */
  public Graph graph() {
    return graph;
  }

  /**
   * Groups in the order GPTQ solves them: by their first layer's node position. Targets come in node order and a
   * group is created at its first layer, so this is the order of {@code byKey}.
   */
  public List<Group> groups() {
    return groups;
  }

  /** Every weight the config quantizes, GPTQ or not, in node order. */
  public List<WeightQuantizer.Target> targets() {
    return targets;
  }

  /** Weights quantized by round to nearest instead. */
  public List<Fallback> fallbacks() {
    return fallbacks;
  }
}
