package org.sparkquant.core.qat;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkquant.core.quantizer.ActivationStatistics;

/**
 * Everything training has learnt after {@link #step} steps: the trained tensors, the optimizer's per-element state,
 * and the activation statistics observed so far. Immutable by contract (a step makes a new state with new arrays);
 * {@link QatCodec} writes it for checkpoints.
 *
 * @param step steps applied so far (the next step's index)
 * @param tensors trained values and learned scales by key (see {@link QatParameters#tensors()})
 * @param slots per tensor key, the optimizer's state arrays (momentum or moments)
 * @param statistics activation statistics observed so far (empty for weight-only configs)
 */
public record QatState(long step, Map<String, float[]> tensors, Map<String, float[][]> slots,
    ActivationStatistics statistics) {
  public QatState {
    if (step < 0) {
      throw new IllegalArgumentException("step must be >= 0, found " + step);
    }
    tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    slots = Collections.unmodifiableMap(new LinkedHashMap<>(slots));
    java.util.Objects.requireNonNull(statistics, "statistics");
  }

  /** The tensor with key {@code key}. */
  public float[] tensor(String key) {
    float[] t = tensors.get(key);
    if (t == null) {
      throw new IllegalArgumentException("no trained tensor '" + key + "'");
    }
    return t;
  }

  /** Whether both states hold the same bits (step, tensors, optimizer state; statistics by sample count). */
  public boolean sameBits(QatState o) {
    if (step != o.step || !tensors.keySet().equals(o.tensors.keySet()) || !slots.keySet().equals(o.slots.keySet())
        || statistics.samples() != o.statistics.samples()) {
      return false;
    }
    for (var e : tensors.entrySet()) {
      if (!java.util.Arrays.equals(e.getValue(), o.tensors.get(e.getKey()))) {
        return false;
      }
    }
    for (var e : slots.entrySet()) {
      if (!java.util.Arrays.deepEquals(e.getValue(), o.slots.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /** The largest absolute difference between the trained tensors of two states with the same keys. */
  public double maxDifference(QatState o) {
    double d = 0;
    for (var e : tensors.entrySet()) {
      float[] a = e.getValue();
      float[] b = o.tensor(e.getKey());
      for (int i = 0; i < a.length; i++) {
        d = Math.max(d, Math.abs((double) a[i] - b[i]));
      }
    }
    return d;
  }
}
