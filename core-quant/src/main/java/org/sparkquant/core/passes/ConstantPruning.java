package org.sparkquant.core.passes;

import java.util.HashSet;
import java.util.Set;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.GraphPass;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.ValueInfo;

/** Drops constants that no node reads and that are not graph outputs. */
public final class ConstantPruning implements GraphPass {
  @Override
  public Graph apply(Graph graph) {
    Set<String> used = new HashSet<>();
    for (Node n : graph.nodes()) {
      used.addAll(n.inputs());
    }
    graph.outputs().stream().map(ValueInfo::name).forEach(used::add);
    if (used.containsAll(graph.constants().keySet())) {
      return graph;
    }
    Graph.Builder b = graph.toBuilder();
    for (String name : graph.constants().keySet()) {
      if (!used.contains(name)) {
        b.removeConstant(name);
      }
    }
    return b.build();
  }
}
