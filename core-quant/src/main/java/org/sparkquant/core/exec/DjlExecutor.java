package org.sparkquant.core.exec;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;

/**
 * {@link GraphExecutor} on DJL's PyTorch engine.
 *
 * <p>Constants are copied into engine arrays once, owned by the executor's manager. Each run opens a child manager
 * and an {@link NDScope}; every array a kernel creates is freed when the run ends, and intermediates are freed as
 * soon as their last consumer has run (unless gradients are being tracked). Listeners and transforms are consulted on
 * every run. Not thread-safe: use one executor per thread.
 */
public final class DjlExecutor implements GraphExecutor {
  /** The engine every executor runs on. */
  public static final String ENGINE = "PyTorch";

  private final Graph graph;
  private final NDManager manager;
  private final Map<String, NDArray> constants = new LinkedHashMap<>();
  private final List<ValueListener> listeners = new CopyOnWriteArrayList<>();
  private final Map<String, ValueTransform> transforms = new HashMap<>();
  private final OpKernel[] kernels;
  private final Map<String, Integer> slotOf = new HashMap<>();
  private final int[][] nodeInputs;
  private final int[][] nodeOutputs;
  private final int[][] freeAfter;
  private final int[] outputSlots;
  private boolean tracksGradients;
  private boolean closed;

  /** Creates an executor for a validated graph with the standard kernels. */
  public DjlExecutor(Graph graph) {
    this(graph, OpRegistry.standard());
  }

  public DjlExecutor(Graph graph, OpRegistry registry) {
    registry.validate(graph);
    this.graph = graph;
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
    List<Node> nodes = graph.nodes();
    for (ValueInfo in : graph.inputs()) {
      slot(in.name());
    }
    graph.constants().keySet().forEach(this::slot);
    kernels = new OpKernel[nodes.size()];
    nodeInputs = new int[nodes.size()][];
    nodeOutputs = new int[nodes.size()][];
    Map<Integer, Integer> last = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      kernels[i] = registry.spec(n).kernel();
      nodeInputs[i] = n.inputs().stream().mapToInt(v -> v.isEmpty() ? -1 : slot(v)).toArray();
      nodeOutputs[i] = n.outputs().stream().mapToInt(v -> v.isEmpty() ? -1 : slot(v)).toArray();
      for (int s : nodeInputs[i]) {
        if (s >= 0) {
          last.put(s, i);
        }
      }
    }
    outputSlots = graph.outputs().stream().mapToInt(v -> slot(v.name())).toArray();
    Set<Integer> keep = new java.util.HashSet<>();
    for (int s : outputSlots) {
      keep.add(s);
    }
    List<List<Integer>> frees = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      frees.add(new ArrayList<>());
    }
    last.forEach(
        (s, i) -> {
          if (!keep.contains(s)) {
            frees.get(i).add(s);
          }
        });
    freeAfter = frees.stream().map(l -> l.stream().mapToInt(Integer::intValue).toArray()).toArray(int[][]::new);
  }

  private int slot(String value) {
    return slotOf.computeIfAbsent(value, k -> slotOf.size());
  }

  @Override
  public Graph graph() {
    return graph;
  }

  @Override
  public NDList run(NDManager outputManager, Map<String, NDArray> inputs) {
    ensureOpen();
    for (String name : inputs.keySet()) {
      if (graph.inputs().stream().noneMatch(v -> v.name().equals(name))) {
        throw new IllegalArgumentException(
            "unknown input '" + name + "'; the model's inputs are " + inputNames());
      }
    }
    NDArray[] values = new NDArray[slotOf.size()];
    Map<NDArray, Integer> liveRefs = new IdentityHashMap<>();
    Set<NDArray> external = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
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
        values[slotOf.get(in.name())] = publish(null, in.name(), a);
      }
      for (Map.Entry<String, NDArray> c : constants.entrySet()) {
        ValueTransform t = transforms.get(c.getKey());
        values[slotOf.get(c.getKey())] = t == null ? c.getValue() : t.apply(c.getKey(), c.getValue());
      }
      List<Node> nodes = graph.nodes();
      for (int i = 0; i < nodes.size(); i++) {
        Node node = nodes.get(i);
        int[] ins = nodeInputs[i];
        NDArray[] args = new NDArray[ins.length];
        for (int k = 0; k < ins.length; k++) {
          if (ins[k] >= 0) {
            args[k] = values[ins[k]];
            if (args[k] == null) {
              throw new IllegalArgumentException(
                  node.describe() + ": input '" + node.inputs().get(k) + "' was not computed");
            }
          }
        }
        NDArray[] outs;
        try {
          outs = kernels[i].run(new KernelContext(node, graph.defaultOpset(), runManager), args);
        } catch (IllegalArgumentException e) {
          throw e;
        } catch (RuntimeException e) {
          throw new IllegalArgumentException(node.describe() + " failed: " + e.getMessage(), e);
        }
        int[] outSlots = nodeOutputs[i];
        for (int k = 0; k < outSlots.length && k < outs.length; k++) {
          if (outSlots[k] >= 0 && outs[k] != null) {
            NDArray v = publish(node, node.outputs().get(k), outs[k]);
            values[outSlots[k]] = v;
            liveRefs.merge(v, 1, Integer::sum);
          }
        }
        if (!tracksGradients) {
          for (int s : freeAfter[i]) {
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
      NDList result = new NDList(outputSlots.length);
      for (int k = 0; k < outputSlots.length; k++) {
        NDArray v = values[outputSlots[k]];
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
    if (!slotOf.containsKey(valueName)) {
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
}
