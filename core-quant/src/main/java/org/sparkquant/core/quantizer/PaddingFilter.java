package org.sparkquant.core.quantizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.exec.GraphExecutor;
import org.sparkquant.core.exec.ShapeTrace;

/**
 * Leaves padded token positions out of what activation observers see. Which axes of each activation are the batch
 * and the position axes is learnt once, from two shape traces with different batch and position sizes; while a
 * batch's token mask is in effect, {@link #observed} gives only the elements of an activation at real positions.
 * Activations whose axes cannot be told (e.g. batch and heads folded into one axis) are observed whole.
 */
final class PaddingFilter {
  /** Batch axis and position axes of an activation. */
  private record PositionAxes(int batch, int[] positions) {}

  private Map<String, PositionAxes> positionAxes;
  private NDArray mask;
  private final Map<Integer, NDArray> realRows = new HashMap<>();

  /** Whether the axes were learnt. */
  boolean learnt() {
    return positionAxes != null;
  }

  /**
   * Learns the batch and position axes of {@code activations} by tracing shapes on {@code executor}: inputs of the
   * token mask's shape {@code maskShape} are treated as {@code [batch, positions]}, the others keep their shape. The
   * executor must not observe while it traces.
   */
  void learn(GraphExecutor executor, Set<String> activations, Map<String, NDArray> inputs, long[] maskShape) {
    Map<String, long[]> a = new HashMap<>();
    Map<String, long[]> b = new HashMap<>();
    inputs.forEach((k, v) -> {
      long[] s = v.getShape().getShape();
      boolean token = Arrays.equals(s, maskShape);
      a.put(k, token ? new long[] {3, 7} : s);
      b.put(k, token ? new long[] {5, 11} : s);
    });
    Map<String, long[]> sa = ShapeTrace.trace(executor, a);
    Map<String, long[]> sb = ShapeTrace.trace(executor, b);
    Map<String, PositionAxes> axes = new HashMap<>();
    for (String v : activations) {
      long[] x = sa.get(v);
      long[] y = sb.get(v);
      if (x == null || y == null || x.length != y.length) {
        continue;
      }
      int batch = -1;
      List<Integer> pos = new ArrayList<>();
      for (int i = 0; i < x.length; i++) {
        if (x[i] == 3 && y[i] == 5 && batch < 0) {
          batch = i;
        } else if (x[i] == 7 && y[i] == 11) {
          pos.add(i);
        }
      }
      if (batch >= 0 && !pos.isEmpty()) {
        axes.put(v, new PositionAxes(batch, pos.stream().mapToInt(Integer::intValue).toArray()));
      }
    }
    positionAxes = axes;
  }

  /**
   * Puts {@code tokenMask} ({@code [batch, positions]}, 1 at real tokens, 0 at padding; null for none) in effect for
   * one batch, until {@link #endBatch()}.
   */
  void startBatch(NDArray tokenMask) {
    mask = tokenMask;
  }

  /** Takes the batch's token mask out of effect and frees what was computed from it. */
  void endBatch() {
    mask = null;
    realRows.values().forEach(NDArray::close);
    realRows.clear();
  }

  /**
   * {@code v}, or only its elements at real (unpadded) positions while a token mask is in effect. The batch axis and
   * the position axes are moved to the front (no copy for the usual {@code [batch, positions, features]} layout)
   * and flattened into rows, one per (sample, positions) combination; the rows of real positions are taken with one
   * gather. The elements are those of a boolean mask over {@code v}, in another order, which no observer depends on.
   */
  NDArray observed(String name, NDArray v) {
    PositionAxes ax = mask == null ? null : positionAxes.get(name);
    if (ax == null) {
      return v;
    }
    int rank = v.getShape().dimension();
    int[] order = new int[rank];
    order[0] = ax.batch();
    System.arraycopy(ax.positions(), 0, order, 1, ax.positions().length);
    int next = 1 + ax.positions().length;
    boolean moved = ax.batch() != 0;
    for (int i = 0; i < rank; i++) {
      int axis = i;
      if (axis != ax.batch() && Arrays.stream(ax.positions()).noneMatch(p -> p == axis)) {
        order[next++] = axis;
      }
    }
    for (int i = 0; i < rank; i++) {
      moved |= order[i] != i;
    }
    NDArray front = moved ? v.transpose(order) : v;
    long[] shape = front.getShape().getShape();
    long rows = 1;
    for (int i = 0; i <= ax.positions().length; i++) {
      rows *= shape[i];
    }
    return front.reshape(rows, -1).get(new NDIndex("{}", realRows(ax.positions().length))).reshape(-1);
  }

  /**
   * Indices of the real rows among {@code batch × positions^k} rows (row-major), for values with {@code k} position
   * axes: a row is real when the token mask marks each of its positions real. Computed once per batch and {@code k}.
   */
  private NDArray realRows(int k) {
    return realRows.computeIfAbsent(k, n -> {
      long[] maskShape = mask.getShape().getShape();
      int batch = (int) maskShape[0];
      int length = (int) maskShape[1];
      long[] m = mask.toType(DataType.INT64, false).toLongArray();
      long perSample = 1;
      for (int i = 0; i < n; i++) {
        perSample *= length;
      }
      long[] rows = new long[Math.toIntExact(batch * perSample)];
      int count = 0;
      int[] at = new int[n];
      for (int b = 0; b < batch; b++) {
        Arrays.fill(at, 0);
        for (long r = 0; r < perSample; r++) {
          boolean real = true;
          for (int j = 0; j < n && real; j++) {
            real = m[b * length + at[j]] != 0;
          }
          if (real) {
            rows[count++] = b * perSample + r;
          }
          for (int j = n - 1; j >= 0 && ++at[j] == length; j--) {
            at[j] = 0;
          }
        }
      }
      return mask.getManager().create(Arrays.copyOf(rows, count));
    });
  }
}
