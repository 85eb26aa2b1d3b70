package org.sparkquant.core.passes;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.exec.EngineArrays;
import org.sparkquant.core.exec.KernelContext;
import org.sparkquant.core.exec.OpRegistry;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.GraphPass;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;

/**
 * Evaluates, once, every node whose inputs are all constants, and every {@code Shape} of a value whose shape is
 * declared static, replacing them by constants (so chains like Shape → Gather → Unsqueeze → Concat disappear when
 * shapes allow). Constants nothing uses any more are dropped. Outputs larger than {@link #MAX_FOLDED_ELEMENTS}
 * elements and quantize/dequantize nodes are left in the graph.
 */
public final class ConstantFolding implements GraphPass {
  /** Largest constant this pass creates. */
  public static final long MAX_FOLDED_ELEMENTS = 1 << 20;

  private static final Set<String> KEEP = Set.of("QuantizeLinear", "DequantizeLinear");

  private final OpRegistry registry;

  public ConstantFolding(OpRegistry registry) {
    this.registry = registry;
  }

  @Override
  public Graph apply(Graph graph) {
    Map<String, Tensor> constants = new LinkedHashMap<>(graph.constants());
    Map<String, long[]> staticShapes = new HashMap<>();
    for (ValueInfo v : graph.inputs()) {
      putShape(staticShapes, v);
    }
    graph.valueInfos().values().forEach(v -> putShape(staticShapes, v));
    List<Node> kept = new ArrayList<>();
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), DjlExecutor.ENGINE)) {
      for (Node node : graph.nodes()) {
        if (!fold(graph, node, constants, staticShapes, manager)) {
          kept.add(node);
        }
      }
    }
    if (kept.size() == graph.nodes().size()) {
      return graph;
    }
    Graph.Builder b = graph.toBuilder().clearNodes();
    kept.forEach(b::addNode);
    constants.forEach(b::addConstant);
    return new ConstantPruning().apply(b.build());
  }

  private static void putShape(Map<String, long[]> shapes, ValueInfo v) {
    long[] s = v.staticShape();
    if (s != null) {
      shapes.put(v.name(), s);
    }
  }

  private boolean fold(
      Graph graph, Node node, Map<String, Tensor> constants, Map<String, long[]> shapes, NDManager manager) {
    if (KEEP.contains(node.opType()) || node.inputs().isEmpty()) {
      return false;
    }
    boolean shapeOfStatic =
        node.opType().equals("Shape") && !constants.containsKey(node.inputs().get(0))
            && shapes.containsKey(node.inputs().get(0));
    for (String in : node.inputs()) {
      if (!in.isEmpty() && !constants.containsKey(in) && !shapeOfStatic) {
        return false;
      }
    }
    try (NDManager sub = manager.newSubManager();
        NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray[] args = new NDArray[node.inputs().size()];
      for (int i = 0; i < args.length; i++) {
        String in = node.inputs().get(i);
        if (shapeOfStatic) {
          args[i] = sub.zeros(new ai.djl.ndarray.types.Shape(shapes.get(in)), ai.djl.ndarray.types.DataType.INT8);
        } else if (!in.isEmpty()) {
          args[i] = EngineArrays.toArray(sub, constants.get(in));
        }
      }
      NDArray[] outs = registry.spec(node).kernel()
          .run(new KernelContext(node, graph.defaultOpset(), sub, KernelContext.constantTypes(node, constants)), args);
      if (outs.length < node.outputs().size()
          || Arrays.stream(outs).anyMatch(o -> o == null || o.getShape().size() > MAX_FOLDED_ELEMENTS)) {
        return false;
      }
      for (int i = 0; i < node.outputs().size(); i++) {
        constants.put(node.outputs().get(i), EngineArrays.toTensor(outs[i]));
      }
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }
}
