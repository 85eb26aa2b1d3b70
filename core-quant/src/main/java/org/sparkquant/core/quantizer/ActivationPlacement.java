package org.sparkquant.core.quantizer;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.fusion.Chains;
import org.sparkquant.core.fusion.FusionBlock;
import org.sparkquant.core.fusion.FusionPatterns;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;

/**
 * Where activation quantizers go, and which of them share parameters. Both modes start from the fusion blocks a
 * {@link FusionPatterns} registry finds ({@linkplain FusionPatterns#defaults() defaults}: Conv, ConvTranspose, Gemm
 * or MatMul with its bias, normalization and activation).
 *
 * <p><b>What is quantized by default, and why.</b> Activations are quantized where an integer kernel reads them: the
 * non-constant inputs of Conv, ConvTranspose, Gemm and MatMul. Those are block inputs, so a block's output gets a
 * quantizer exactly when it feeds such a kernel (directly or through pooling, Flatten or Concat). LayerNormalization,
 * Softmax, residual additions and other element-wise ops outside blocks keep float inputs and outputs: common
 * runtimes have no integer kernels for them, and their ranges (outliers in residual streams, the long tail before
 * Softmax) cost accuracy when quantized per tensor. A value is quantized only for the node inputs listed in
 * {@link #uses()}; its other readers keep float.
 *
 * <p><b>Graph mode</b> (BatchNorm already folded): quantizers only at block boundaries — the inputs of each weighted
 * op and, through them, block outputs — and never on a value inside a block. Quantization reaches back through
 * pooling, Flatten and Concat ({@link #VALUE_PRESERVING} less {@link #LAYOUT}, and Concat), whose input and output
 * then share one set of parameters, so a runtime can execute them on integers; a value quantized for several readers
 * gets one quantizer. It does not reach back through the {@linkplain #LAYOUT layout ops} Reshape, Transpose, Squeeze
 * and Unsqueeze: the quantizer stays at the weighted op's input and the layout op reads the float value. Runtimes
 * move quantization across layout ops themselves (ONNX Runtime's QDQ propagation lifts the QuantizeLinear to the
 * value the layout op reads), and in exported transformers that value is usually also read by the Shape nodes that
 * compute a Reshape's target: with a DequantizeLinear in between, ONNX Runtime can no longer fold that computation and
 * runs the DequantizeLinear, a float copy of the activation, on every call.
 *
 * <p><b>Eager mode</b> (BatchNorm kept): each op is quantized on its own, with no sharing: the inputs of weighted
 * ops, and the output of every node of a block that starts at a weighted op, for all its readers (Conv → Q →
 * BatchNormalization → Q → Relu → Q). Graph outputs are left in float.
 */
public final class ActivationPlacement {
  /** Single-input ops whose output values are (a selection of) their input values. */
  public static final Set<String> VALUE_PRESERVING =
      Set.of("MaxPool", "AveragePool", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze");

  /**
   * Value-preserving ops that only rearrange or reshape their input and that runtimes move quantizers across
   * themselves; graph-mode quantization does not reach back through them.
   */
  public static final Set<String> LAYOUT = Set.of("Reshape", "Transpose", "Squeeze", "Unsqueeze");

  /** A node input that reads a quantized value. */
  public record Use(String node, int input) {}

  private final Map<String, Set<Use>> uses = new LinkedHashMap<>();
  private final Map<String, String> parent = new HashMap<>();
  private final List<FusionBlock> blocks;
  private final Set<String> interior = new HashSet<>();

  private ActivationPlacement(List<FusionBlock> blocks) {
    this.blocks = List.copyOf(blocks);
  }

  /** The placement for {@code graph} in {@code mode}, with the default fusion patterns. */
  public static ActivationPlacement of(Graph graph, QuantizerConfig.ExecutionMode mode) {
    return of(graph, mode, FusionPatterns.defaults());
  }

  /** The placement for {@code graph} in {@code mode}, with blocks from {@code patterns}. */
  public static ActivationPlacement of(Graph graph, QuantizerConfig.ExecutionMode mode, FusionPatterns patterns) {
    return of(graph, mode, patterns, Set.of());
  }

  /**
   * The placement for {@code graph} in {@code mode}, with blocks from {@code patterns}, leaving the weighted nodes
   * named in {@code floatNodes} (those a rule skips) in float: no integer kernel reads their inputs, so those inputs
   * get no quantizer on their account, and in eager mode neither do the outputs of their blocks.
   */
  public static ActivationPlacement of(Graph graph, QuantizerConfig.ExecutionMode mode, FusionPatterns patterns,
      Set<String> floatNodes) {
    ActivationPlacement p = new ActivationPlacement(patterns.blocks(graph));
    boolean eager = mode == QuantizerConfig.ExecutionMode.EAGER;
    if (!eager) {
      p.blocks.forEach(b -> p.interior.addAll(b.interior()));
    }
    Deque<String> work = new ArrayDeque<>();
    for (Node n : graph.nodes()) {
      if (Chains.isWeighted(n) && !floatNodes.contains(n.name())) {
        for (int i = 0; i < Math.min(2, n.inputs().size()); i++) {
          if (p.add(graph, n.inputs().get(i), new Use(n.name(), i))) {
            work.add(n.inputs().get(i));
          }
        }
      }
    }
    if (eager) {
      Set<String> inBlocks = new HashSet<>();
      for (FusionBlock b : p.blocks) {
        if (Chains.isWeighted(b.anchor()) && !floatNodes.contains(b.anchor().name())) {
          for (Node n : b.nodes()) {
            p.addForAllReaders(graph, n.outputs().get(0));
          }
        }
        b.nodes().forEach(n -> inBlocks.add(n.name()));
      }
      for (Node n : graph.nodes()) {
        if (Chains.isWeighted(n) && !inBlocks.contains(n.name()) && !floatNodes.contains(n.name())) {
          p.addForAllReaders(graph, n.outputs().get(0));
        }
      }
    } else {
      Set<String> done = new LinkedHashSet<>();
      while (!work.isEmpty()) {
        String v = work.poll();
        Node producer = graph.producer(v);
        if (!done.add(v) || producer == null || !producer.domain().isEmpty()) {
          continue;
        }
        boolean concat = producer.opType().equals("Concat");
        if (!concat && (!VALUE_PRESERVING.contains(producer.opType()) || LAYOUT.contains(producer.opType()))) {
          continue;
        }
        int inputs = concat ? producer.inputs().size() : 1;
        for (int i = 0; i < inputs; i++) {
          String s = producer.inputs().get(i);
          if (p.add(graph, s, new Use(producer.name(), i))) {
            p.union(v, s);
            work.add(s);
          }
        }
      }
    }
    return p;
  }

  /** Quantizes {@code value} for every node input that reads it, unless it is a graph output. */
  private void addForAllReaders(Graph g, String value) {
    if (value.isEmpty() || g.isOutput(value)) {
      return;
    }
    for (Node c : g.consumers(value)) {
      for (int i = 0; i < c.inputs().size(); i++) {
        if (c.inputs().get(i).equals(value)) {
          add(g, value, new Use(c.name(), i));
        }
      }
    }
  }

  private boolean add(Graph g, String value, Use use) {
    if (value.isEmpty() || g.constants().containsKey(value) || interior.contains(value)) {
      return false;
    }
    uses.computeIfAbsent(value, k -> new LinkedHashSet<>()).add(use);
    parent.putIfAbsent(value, value);
    return true;
  }

  private String find(String v) {
    String root = v;
    while (!parent.get(root).equals(root)) {
      root = parent.get(root);
    }
    parent.put(v, root);
    return root;
  }

  private void union(String a, String b) {
    String ra = find(a);
    String rb = find(b);
    if (!ra.equals(rb)) {
      parent.put(rb, ra);
    }
  }

  /** The fusion blocks the placement followed, in topological order of their anchors. */
  public List<FusionBlock> blocks() {
    return blocks;
  }

  /** Quantized values, each with the node inputs that read its quantized form. */
  public Map<String, Set<Use>> uses() {
    return uses;
  }

  /** The value whose parameters {@code value} shares (itself when it shares with nobody). */
  public String group(String value) {
    return find(value);
  }

  /** Values that share parameters with some other value, for reports and tests. */
  public List<Set<String>> sharedGroups() {
    Map<String, Set<String>> groups = new LinkedHashMap<>();
    for (String v : uses.keySet()) {
      groups.computeIfAbsent(find(v), k -> new LinkedHashSet<>()).add(v);
    }
    return groups.values().stream().filter(s -> s.size() > 1).toList();
  }
}
