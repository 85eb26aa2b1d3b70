package org.sparkquant.core.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.graph.Node;

/**
 * Remembers the values of nodes that depend only on shapes: {@code Shape} nodes and everything computed from them
 * and constants alone (the Shape → Gather → Unsqueeze → Concat chains exporters emit to build Reshape targets).
 * Runs whose graph inputs have shapes seen before take those values from a small LRU cache instead of recomputing
 * dozens of tiny kernels.
 *
 * <p>Only sound when every shape in the graph follows from the graph inputs' shapes, so it is enabled only if each
 * input that decides an output shape by its values (Reshape's target, Slice's bounds, …) is a constant or itself
 * shape-only. Values with a transform (node outputs and constants alike) never count as shape-only.
 */
final class ShapeMemo {
  /** Cached input-shape signatures per executor plan. */
  static final int CAPACITY = 32;

  /** Inputs whose values, not just shapes, decide the output's shape. */
  private static final Map<String, int[]> SHAPE_ARGUMENTS =
      Map.ofEntries(
          Map.entry("Reshape", new int[] {1}),
          Map.entry("Expand", new int[] {1}),
          Map.entry("Tile", new int[] {1}),
          Map.entry("Slice", new int[] {1, 2, 3, 4}),
          Map.entry("ConstantOfShape", new int[] {0}),
          Map.entry("Range", new int[] {0, 1, 2}),
          Map.entry("Resize", new int[] {1, 2, 3}),
          Map.entry("Upsample", new int[] {1}),
          Map.entry("Pad", new int[] {1, 3}),
          Map.entry("Split", new int[] {1}),
          Map.entry("Squeeze", new int[] {1}),
          Map.entry("Unsqueeze", new int[] {1}),
          Map.entry("ReduceMean", new int[] {1}),
          Map.entry("ReduceSum", new int[] {1}),
          Map.entry("ReduceMax", new int[] {1}),
          Map.entry("ReduceMin", new int[] {1}),
          Map.entry("ReduceProd", new int[] {1}),
          Map.entry("ReduceL1", new int[] {1}),
          Map.entry("ReduceL2", new int[] {1}),
          Map.entry("ReduceSumSquare", new int[] {1}),
          Map.entry("ReduceLogSumExp", new int[] {1}));

  final boolean[] shapeOnly;
  final boolean enabled;
  private final Map<List<Long>, NDArray[]> cache =
      new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<List<Long>, NDArray[]> eldest) {
          if (size() > CAPACITY) {
            for (NDArray a : eldest.getValue()) {
              if (a != null) {
                a.close();
              }
            }
            return true;
          }
          return false;
        }
      };

  ShapeMemo(List<Node> nodes, Set<String> constants, Set<String> pinned) {
    shapeOnly = new boolean[nodes.size()];
    Set<String> known = new HashSet<>(constants);
    known.removeAll(pinned);
    boolean any = false;
    boolean sound = true;
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      boolean fromShapes =
          n.opType().equals("Shape") || n.opType().equals("Size")
              || n.inputs().stream().allMatch(in -> in.isEmpty() || known.contains(in));
      if (fromShapes && n.domain().isEmpty() && n.outputs().stream().noneMatch(pinned::contains)) {
        shapeOnly[i] = true;
        any |= n.opType().equals("Shape") || n.opType().equals("Size");
        n.outputs().forEach(known::add);
      }
      for (int arg : SHAPE_ARGUMENTS.getOrDefault(n.opType(), new int[0])) {
        if (arg < n.inputs().size() && !n.inputs().get(arg).isEmpty() && !known.contains(n.inputs().get(arg))) {
          sound = false;
        }
      }
    }
    enabled = any && sound;
  }

  /** The signature of a run: the shapes of its graph inputs, in order. */
  static List<Long> signature(List<NDArray> inputs) {
    List<Long> key = new ArrayList<>();
    for (NDArray a : inputs) {
      long[] s = a.getShape().getShape();
      key.add((long) s.length);
      for (long d : s) {
        key.add(d);
      }
    }
    return key;
  }

  NDArray[] lookup(List<Long> signature) {
    return cache.get(signature);
  }

  /** Keeps a copy of a shape-only value, owned by {@code owner}, for the entry being filled. */
  static void remember(NDArray[] entry, int slot, NDArray value, NDManager owner) {
    NDArray copy = value.duplicate();
    NDScope.unregister(copy);
    copy.attach(owner);
    entry[slot] = copy;
  }

  void store(List<Long> signature, NDArray[] entry) {
    cache.put(signature, entry);
  }
}
