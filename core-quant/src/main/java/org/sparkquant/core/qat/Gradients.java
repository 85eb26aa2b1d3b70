package org.sparkquant.core.qat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkquant.core.quantizer.ActivationSpec;
import org.sparkquant.core.quantizer.ActivationStatistics;

/**
 * The gradients of a sum of per-sample losses over some micro-batches (already divided by the global batch size, so
 * that summing all micro-batches of a step gives the gradient of the step's mean loss), with the loss, the samples
 * and the activation statistics observed. A partial sum: {@link #plus} adds another into this one's arrays.
 */
public final class Gradients {
  private final LinkedHashMap<String, float[]> tensors;
  private double lossSum;
  private long samples;
  private ActivationStatistics observed;

  /**
   * @param tensors gradient per trained tensor key (taken, not copied)
   * @param lossSum sum of the per-sample losses (not divided by the global batch)
   * @param samples samples in the micro-batches
   * @param observed activation statistics the micro-batches added
   */
  public Gradients(Map<String, float[]> tensors, double lossSum, long samples, ActivationStatistics observed) {
    this.tensors = new LinkedHashMap<>(tensors);
    this.lossSum = lossSum;
    this.samples = samples;
    this.observed = observed;
  }

  public Map<String, float[]> tensors() {
    return java.util.Collections.unmodifiableMap(tensors);
  }

  public double lossSum() {
    return lossSum;
  }

  public long samples() {
    return samples;
  }

  public ActivationStatistics observed() {
    return observed;
  }

  /**
   * Adds {@code other} into this partial sum (elementwise in float32, statistics merged with {@code spec}'s observer
   * when there is one) and returns this.
   */
  public Gradients plus(Gradients other, ActivationSpec spec) {
    if (!tensors.keySet().equals(other.tensors.keySet())) {
      throw new IllegalArgumentException(
          "gradients of different tensors: " + tensors.keySet() + " and " + other.tensors.keySet());
    }
    for (Map.Entry<String, float[]> e : tensors.entrySet()) {
      float[] a = e.getValue();
      float[] b = other.tensors.get(e.getKey());
      for (int i = 0; i < a.length; i++) {
        a[i] += b[i];
      }
    }
    lossSum += other.lossSum;
    samples += other.samples;
    observed = spec == null ? observed : observed.plus(other.observed, spec);
    return this;
  }
}
