package org.sparkquant.core.passes;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.GraphPass;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;

/**
 * Folds inference-mode {@code BatchNormalization} into the {@code Conv} (or ungrouped {@code ConvTranspose}) that
 * feeds it, so weights are quantized as the model will compute with them: with {@code s = γ / sqrt(var + ε)} per
 * output channel, {@code W' = W·s} and {@code b' = (b − mean)·s + β}. The convolution keeps its name and takes over
 * the BatchNormalization's output; its new weight and bias are constants named {@code <conv>.weight_folded} and
 * {@code <conv>.bias_folded}. A pair is folded only when the convolution's output feeds nothing else, is not a graph
 * output, and all parameters are float constants.
 */
public final class BatchNormFolding implements GraphPass {

  @Override
  public Graph apply(Graph graph) {
    Map<String, List<Node>> consumers = new HashMap<>();
    for (Node n : graph.nodes()) {
      n.inputs().forEach(in -> consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n));
    }
    Map<String, Tensor> constants = new HashMap<>(graph.constants());
    Map<Node, Node> replaced = new HashMap<>();
    List<Node> removed = new ArrayList<>();
    for (Node bn : graph.nodes()) {
      if (!bn.opType().equals("BatchNormalization") || !bn.domain().isEmpty() || bn.inputs().size() < 5) {
        continue;
      }
      Node conv = graph.producer(bn.inputs().get(0));
      if (conv == null || replaced.containsKey(conv) || !foldable(graph, conv, bn, consumers, constants)) {
        continue;
      }
      Node folded = fold(conv, bn, constants);
      replaced.put(conv, folded);
      removed.add(bn);
    }
    if (removed.isEmpty()) {
      return graph;
    }
    Graph.Builder b = graph.toBuilder().clearNodes();
    for (Node n : graph.nodes()) {
      if (!removed.contains(n)) {
        b.addNode(replaced.getOrDefault(n, n));
      }
    }
    constants.forEach(b::addConstant);
    return new ConstantPruning().apply(b.build());
  }

  private static boolean foldable(
      Graph g, Node conv, Node bn, Map<String, List<Node>> consumers, Map<String, Tensor> constants) {
    boolean transposed = conv.opType().equals("ConvTranspose");
    if (!conv.domain().isEmpty() || !(conv.opType().equals("Conv") || transposed)) {
      return false;
    }
    Attribute group = conv.attributes().get("group");
    if (transposed && group != null && (Long) group.value() != 1) {
      return false;
    }
    if (bn.attributes().containsKey("training_mode") && (Long) bn.attributes().get("training_mode").value() != 0) {
      return false;
    }
    String out = conv.outputs().get(0);
    if (consumers.getOrDefault(out, List.of()).size() != 1
        || g.outputs().stream().map(ValueInfo::name).anyMatch(out::equals)) {
      return false;
    }
    List<String> params = new ArrayList<>(bn.inputs().subList(1, 5));
    params.add(conv.inputs().get(1));
    if (conv.inputs().size() > 2 && !conv.inputs().get(2).isEmpty()) {
      params.add(conv.inputs().get(2));
    }
    return params.stream().allMatch(p -> constants.containsKey(p) && constants.get(p).dataType() == DataType.FLOAT);
  }

  private static Node fold(Node conv, Node bn, Map<String, Tensor> constants) {
    float eps = bn.attributes().containsKey("epsilon") ? (Float) bn.attributes().get("epsilon").value() : 1e-5f;
    float[] gamma = constants.get(bn.inputs().get(1)).floats();
    float[] beta = constants.get(bn.inputs().get(2)).floats();
    float[] mean = constants.get(bn.inputs().get(3)).floats();
    float[] var = constants.get(bn.inputs().get(4)).floats();
    Tensor w = constants.get(conv.inputs().get(1));
    long[] ws = w.shape();
    float[] weight = w.floats();
    int channels = gamma.length;
    boolean transposed = conv.opType().equals("ConvTranspose");
    float[] s = new float[channels];
    for (int c = 0; c < channels; c++) {
      s[c] = (float) (gamma[c] / Math.sqrt((double) var[c] + eps));
    }
    if (transposed) {
      // [C_in, C_out, k...]: output channel is axis 1.
      int k = (int) (weight.length / (ws[0] * ws[1]));
      for (int i = 0; i < weight.length; i++) {
        weight[i] *= s[(i / k) % channels];
      }
    } else {
      int perChannel = weight.length / channels;
      for (int i = 0; i < weight.length; i++) {
        weight[i] *= s[i / perChannel];
      }
    }
    float[] bias = new float[channels];
    boolean hasBias = conv.inputs().size() > 2 && !conv.inputs().get(2).isEmpty();
    float[] b0 = hasBias ? constants.get(conv.inputs().get(2)).floats() : new float[channels];
    for (int c = 0; c < channels; c++) {
      bias[c] = (b0[c] - mean[c]) * s[c] + beta[c];
    }
    String wName = conv.name() + ".weight_folded";
    String bName = conv.name() + ".bias_folded";
    constants.put(wName, Tensor.ofFloats(ws, weight));
    constants.put(bName, Tensor.ofFloats(new long[] {channels}, bias));
    return new Node(conv.name(), conv.opType(), conv.domain(), List.of(conv.inputs().get(0), wName, bName),
        bn.outputs().subList(0, 1), conv.attributes());
  }
}
