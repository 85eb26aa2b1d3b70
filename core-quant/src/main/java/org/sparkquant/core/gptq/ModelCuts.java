package org.sparkquant.core.gptq;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;

/**
 * A model cut, in its topological node order, at the input of every GPTQ group, so that calibration data is pushed
 * through the model once: from the model's inputs to the first group's input ({@link #prefix()}), then from each
 * group's input to the next one's ({@link #segment(int)}). The cut before group {@code g} is the position right
 * after the node that produces the group's input (never before the previous cut); what crosses a cut are its
 * {@link #live(int) live values}: graph inputs and node outputs before the cut that a node after it reads.
 *
 * <p>A group's layers all lie after its cut, and each segment holds only layers of groups solved before it runs,
 * so advancing a batch through segment {@code g} with the solved weights installed gives exactly the values a full
 * run with those weights would compute at the next cut (up to kernel fusion across a cut).
 */
final class ModelCuts {
  private final Graph graph;
  private final int[] cuts;
  private final List<List<String>> live = new ArrayList<>();

  ModelCuts(Graph graph, List<String> groupInputs) {
    this.graph = graph;
    List<Node> nodes = graph.nodes();
    Map<String, Integer> producedAt = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      for (String o : nodes.get(i).outputs()) {
        producedAt.put(o, i);
      }
    }
    Map<String, Integer> lastRead = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      for (String in : nodes.get(i).inputs()) {
        if (!in.isEmpty() && !graph.constants().containsKey(in)) {
          lastRead.put(in, i);
        }
      }
    }
    cuts = new int[groupInputs.size()];
    int previous = 0;
    for (int g = 0; g < cuts.length; g++) {
      String input = groupInputs.get(g);
      Integer p = producedAt.get(input);
      if (p == null && graph.inputs().stream().noneMatch(v -> v.name().equals(input))) {
        throw new IllegalArgumentException("group input '" + input + "' is neither a graph input nor a node output");
      }
      cuts[g] = Math.max(previous, p == null ? 0 : p + 1);
      previous = cuts[g];
      int cut = cuts[g];
      List<String> values = new ArrayList<>();
      for (ValueInfo v : graph.inputs()) {
        if (lastRead.getOrDefault(v.name(), -1) >= cut) {
          values.add(v.name());
        }
      }
      for (int i = 0; i < cut; i++) {
        for (String o : nodes.get(i).outputs()) {
          if (!o.isEmpty() && lastRead.getOrDefault(o, -1) >= cut) {
            values.add(o);
          }
        }
      }
      live.add(List.copyOf(values));
    }
  }

  int groups() {
    return cuts.length;
  }

  /** The position of the cut before group {@code g}. */
  int cut(int g) {
    return cuts[g];
  }

  /** The values that cross the cut before group {@code g}, graph inputs first, then in node order. */
  List<String> live(int g) {
    return live.get(g);
  }

  /** The nodes before the first cut, from the model's inputs to the first cut's live values. */
  Graph prefix() {
    List<String> inputs = graph.inputs().stream().map(ValueInfo::name).toList();
    return part("prefix", 0, cuts[0], inputs, live(0));
  }

  /** The nodes between the cuts before groups {@code g} and {@code g + 1}; null when there are none. */
  Graph segment(int g) {
    if (cuts[g] == cuts[g + 1]) {
      return null;
    }
    return part("segment" + g, cuts[g], cuts[g + 1], live(g), live(g + 1));
  }

  private Graph part(String suffix, int from, int to, List<String> available, List<String> needed) {
    List<Node> nodes = graph.nodes().subList(from, to);
    Set<String> read = new LinkedHashSet<>();
    Set<String> produced = new HashSet<>();
    for (Node n : nodes) {
      read.addAll(n.inputs());
      produced.addAll(n.outputs());
    }
    Graph.Builder b = Graph.builder().name(graph.name() + "/" + suffix);
    graph.opsets().forEach(b::opset);
    for (String v : available) {
      if (read.contains(v)) {
        ValueInfo declared = graph.valueInfo(v);
        b.addInput(declared != null ? declared : new ValueInfo(v, null, null));
      }
    }
    Map<String, Tensor> constants = new LinkedHashMap<>();
    for (String v : read) {
      Tensor t = graph.constants().get(v);
      if (t != null) {
        constants.put(v, t);
      }
    }
    constants.forEach(b::addConstant);
    nodes.forEach(b::addNode);
    for (String v : needed) {
      if (produced.contains(v)) {
        b.addOutput(new ValueInfo(v, null, null));
      }
    }
    return b.build();
  }
}
