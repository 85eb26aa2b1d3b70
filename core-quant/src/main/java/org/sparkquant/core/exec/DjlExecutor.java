package org.sparkquant.core.exec;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;

/**
 * {@link GraphExecutor} on DJL's PyTorch engine.
 *
 * <p>Constants are copied into engine arrays once, owned by the executor's manager. Each run opens a child manager
 * and an {@link NDScope}; every array a kernel creates is freed when the run ends, and intermediates are freed as
 * soon as their last consumer has run (unless gradients are being tracked).
 *
 * <p>Runs follow a plan: the graph after {@link KernelFusion}, which merges common decomposed subgraphs (LayerNorm,
 * GELU, bias additions) into single kernels. Values with a transform are never fused away, and while any listener
 * is registered the plan is the unfused graph, so every value of the original graph is observed. Not thread-safe:
 * use one executor per thread.
 *
 * <p>Values that depend only on input shapes are remembered per input-shape signature ({@link ShapeMemo}).
 */
public final class DjlExecutor implements GraphExecutor {
  /** The engine every executor runs on. */
  public static final String ENGINE = "PyTorch";

  private final Graph graph;
  private final OpRegistry registry;
  private final NDManager manager;
  private final Map<String, NDArray> constants = new LinkedHashMap<>();
  private final List<ValueListener> listeners = new CopyOnWriteArrayList<>();
  private final Map<String, ValueTransform> transforms = new HashMap<>();
  private final Map<PlanKey, Plan> plans = new HashMap<>();
  private boolean tracksGradients;
  private boolean closed;

  /** Creates an executor for a graph with the standard kernels. */
  public DjlExecutor(Graph graph) {
    this(graph, OpRegistry.standard());
  }

  public DjlExecutor(Graph graph, OpRegistry registry) {
    registry.validate(graph);
    NativeMemory.tune();
    this.graph = graph;
    this.registry = registry;
    this.manager = NDManager.newBaseManager(Device.cpu(), ENGINE);
    manager.setName("executor:" + graph.name());
    try {
      for (Map.Entry<String, Tensor> e : graph.constants().entrySet()) {
        NDArray a = EngineArrays.toArray(manager, e.getValue());
        a.setName(e.getKey());
        constants.put(e.getKey(), a);
      }
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  @Override
  public Graph graph() {
    return graph;
  }

  /** The plan for the current registrations: fused unless listeners want every value. */
  private Plan plan() {
    PlanKey key = new PlanKey(listeners.isEmpty(), Set.copyOf(transforms.keySet()));
    return plans.computeIfAbsent(
        key, k -> new Plan(k.fused() ? new KernelFusion(k.pinned()).apply(graph) : graph, registry, k.pinned()));
  }

  /** Plans differ by whether patterns may be fused and by which values must stay as they are. */
  private record PlanKey(boolean fused, Set<String> pinned) {}

  @Override
  public NDList run(NDManager outputManager, Map<String, NDArray> inputs) {
    ensureOpen();
    for (String name : inputs.keySet()) {
      if (graph.inputs().stream().noneMatch(v -> v.name().equals(name))) {
        throw new IllegalArgumentException("unknown input '" + name + "'; the model's inputs are " + inputNames());
      }
    }
    Plan plan = plan();
    NDArray[] values = new NDArray[plan.slotOf.size()];
    List<Long> signature = null;
    NDArray[] memo = null;
    NDArray[] fresh = null;
    if (plan.memo.enabled) {
      signature = ShapeMemo.signature(graph.inputs().stream().map(v -> inputs.get(v.name())).toList());
      memo = plan.memo.lookup(signature);
      fresh = memo == null ? new NDArray[values.length] : null;
    }
    Map<NDArray, Integer> liveRefs = new IdentityHashMap<>();
    Set<NDArray> external = Collections.newSetFromMap(new IdentityHashMap<>());
    external.addAll(constants.values());
    external.addAll(inputs.values());
    try (NDManager runManager = manager.newSubManager();
        NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      for (ValueInfo in : graph.inputs()) {
        NDArray a = inputs.get(in.name());
        if (a == null) {
          throw new IllegalArgumentException("missing input '" + in.name() + "'; the model's inputs are " + inputNames());
        }
        values[plan.slotOf.get(in.name())] = publish(null, in.name(), a);
      }
      for (Map.Entry<String, NDArray> c : constants.entrySet()) {
        Integer slot = plan.slotOf.get(c.getKey());
        if (slot != null) {
          ValueTransform t = transforms.get(c.getKey());
          values[slot] = t == null ? c.getValue() : t.apply(c.getKey(), c.getValue());
        }
      }
      for (int i = 0; i < plan.nodes.size(); i++) {
        Node node = plan.nodes.get(i);
        if (memo != null && plan.memo.shapeOnly[i]) {
          for (int k = 0; k < plan.nodeOutputs[i].length; k++) {
            NDArray v = memo[plan.nodeOutputs[i][k]];
            external.add(v);
            values[plan.nodeOutputs[i][k]] = publish(node, node.outputs().get(k), v);
          }
          continue;
        }
        NDArray[] args = plan.arguments(i, values);
        NDArray[] outs;
        try {
          outs = plan.kernels[i].run(
              new KernelContext(node, graph.defaultOpset(), runManager, plan.inputTypes[i]), args);
        } catch (IllegalArgumentException e) {
          throw e;
        } catch (RuntimeException e) {
          throw new IllegalArgumentException(node.describe() + " failed: " + e.getMessage(), e);
        }
        int[] outSlots = plan.nodeOutputs[i];
        for (int k = 0; k < outSlots.length && k < outs.length; k++) {
          if (outSlots[k] >= 0 && outs[k] != null) {
            NDArray v = publish(node, node.outputs().get(k), outs[k]);
            values[outSlots[k]] = v;
            liveRefs.merge(v, 1, Integer::sum);
            if (fresh != null && plan.memo.shapeOnly[i]) {
              ShapeMemo.remember(fresh, outSlots[k], v, manager);
            }
          }
        }
        if (!tracksGradients) {
          for (int s : plan.freeAfter[i]) {
            NDArray v = values[s];
            values[s] = null;
            if (v != null && liveRefs.containsKey(v) && liveRefs.merge(v, -1, Integer::sum) == 0) {
              liveRefs.remove(v);
              if (!external.contains(v)) {
                v.close();
              }
            }
          }
        }
      }
      if (fresh != null) {
        plan.memo.store(signature, fresh);
      }
      NDList result = new NDList(plan.outputSlots.length);
      for (int k = 0; k < plan.outputSlots.length; k++) {
        NDArray v = values[plan.outputSlots[k]];
        if (v == null) {
          throw new IllegalArgumentException("graph output '" + graph.outputs().get(k).name() + "' was not computed");
        }
        if (external.contains(v) || containsSame(result, v)) {
          v = v.duplicate();
        }
        NDScope.unregister(v);
        v.attach(outputManager);
        result.add(v);
      }
      return result;
    }
  }

  private static boolean containsSame(NDList list, NDArray v) {
    for (NDArray a : list) {
      if (a == v) {
        return true;
      }
    }
    return false;
  }

  private NDArray publish(Node producer, String name, NDArray value) {
    ValueTransform t = transforms.get(name);
    NDArray v = t == null ? value : t.apply(name, value);
    for (ValueListener l : listeners) {
      l.onValue(producer, name, v);
    }
    return v;
  }

  private List<String> inputNames() {
    return graph.inputs().stream().map(ValueInfo::name).toList();
  }

  @Override
  public Registration addListener(ValueListener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  @Override
  public Registration setTransform(String valueName, ValueTransform transform) {
    if (!graph.constants().containsKey(valueName) && graph.producer(valueName) == null
        && graph.inputs().stream().noneMatch(v -> v.name().equals(valueName))) {
      throw new IllegalArgumentException("no value named '" + valueName + "' in graph '" + graph.name() + "'");
    }
    if (transforms.putIfAbsent(valueName, transform) != null) {
      throw new IllegalStateException("value '" + valueName + "' already has a transform");
    }
    return () -> transforms.remove(valueName, transform);
  }

  @Override
  public NDArray constant(String name) {
    NDArray a = constants.get(name);
    if (a == null) {
      throw new IllegalArgumentException("no constant named '" + name + "'");
    }
    return a;
  }

  @Override
  public void requireGradient(Iterable<String> constantNames) {
    for (String name : constantNames) {
      constant(name).setRequiresGradient(true);
      tracksGradients = true;
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("executor for graph '" + graph.name() + "' is closed");
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      manager.close();
    }
  }

  /** Nodes with their kernels, value slots, and where each intermediate can be freed. */
  private static final class Plan {
    final List<Node> nodes;
    final OpKernel[] kernels;
    final DataType[][] inputTypes;
    final Map<String, Integer> slotOf = new HashMap<>();
    final int[][] nodeInputs;
    final int[][] nodeOutputs;
    final int[][] freeAfter;
    final int[] outputSlots;
    final ShapeMemo memo;

    Plan(Graph g, OpRegistry registry, Set<String> pinned) {
      nodes = g.nodes();
      g.inputs().forEach(v -> slot(v.name()));
      g.constants().keySet().forEach(this::slot);
      kernels = new OpKernel[nodes.size()];
      inputTypes = new DataType[nodes.size()][];
      nodeInputs = new int[nodes.size()][];
      nodeOutputs = new int[nodes.size()][];
      Map<Integer, Integer> lastUse = new HashMap<>();
      for (int i = 0; i < nodes.size(); i++) {
        Node n = nodes.get(i);
        kernels[i] = registry.spec(n).kernel();
        inputTypes[i] = KernelContext.constantTypes(n, g.constants());
        nodeInputs[i] = n.inputs().stream().mapToInt(v -> v.isEmpty() ? -1 : slot(v)).toArray();
        nodeOutputs[i] = n.outputs().stream().mapToInt(v -> v.isEmpty() ? -1 : slot(v)).toArray();
        for (int s : nodeInputs[i]) {
          if (s >= 0) {
            lastUse.put(s, i);
          }
        }
      }
      outputSlots = g.outputs().stream().mapToInt(v -> slot(v.name())).toArray();
      Set<Integer> keep = new HashSet<>();
      for (int s : outputSlots) {
        keep.add(s);
      }
      List<List<Integer>> frees = new ArrayList<>();
      nodes.forEach(n -> frees.add(new ArrayList<>()));
      lastUse.forEach(
          (s, i) -> {
            if (!keep.contains(s)) {
              frees.get(i).add(s);
            }
          });
      freeAfter = frees.stream().map(l -> l.stream().mapToInt(Integer::intValue).toArray()).toArray(int[][]::new);
      memo = new ShapeMemo(nodes, g.constants().keySet(), pinned);
    }

    private int slot(String value) {
      return slotOf.computeIfAbsent(value, k -> slotOf.size());
    }

    NDArray[] arguments(int i, NDArray[] values) {
      int[] ins = nodeInputs[i];
      NDArray[] args = new NDArray[ins.length];
      for (int k = 0; k < ins.length; k++) {
        if (ins[k] >= 0) {
          args[k] = values[ins[k]];
          if (args[k] == null) {
            throw new IllegalArgumentException(
                nodes.get(i).describe() + ": input '" + nodes.get(i).inputs().get(k) + "' was not computed");
          }
        }
      }
      return args;
    }
  }
}
