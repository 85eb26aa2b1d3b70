package org.sparkquant.core.observer;

import ai.djl.ndarray.NDArray;
import org.sparkquant.core.numerics.QuantParams;

/**
 * Accumulate, merge, freeze: an observer turns tensors into statistics {@code S} (plain data, cheap to ship), merges
 * statistics from different shards, and freezes them into quantization parameters. Observers are immutable
 * configurations; all state lives in the statistics.
 *
 * @param <S> the statistics type
 */
public interface Observer<S> {
  /** Empty statistics, the identity of {@link #merge}. */
  S newStats();

  /**
   * Adds one tensor to {@code stats} (mutated in place).
   *
   * @param tensor the tensor's name, for error messages
   */
  void observe(S stats, String tensor, NDArray x);

  /** Statistics of the union of both inputs' data; neither input is changed. */
  S merge(S a, S b);

  /** Frozen parameters for a tensor of {@code shape} from the statistics. */
  QuantParams params(S stats, long[] shape);

  /** Smallest and largest value observed over all channels, {@code {+inf, -inf}} when nothing was. */
  float[] observedRange(S stats);

  /**
   * Estimated fraction of the observed values that per-tensor parameters {@code p} clip, NaN when the statistics
   * cannot tell. Zero for ranges that cover everything observed.
   */
  default double clippedFraction(S stats, QuantParams p) {
    return 0;
  }

  /** The real interval per-tensor parameters {@code p} represent, {@code {lo, hi}}. */
  static double[] representable(QuantParams p) {
    double scale = p.scale()[0];
    double zp = p.type().isFloat() ? 0 : p.zeroPoint()[0];
    return new double[] {(p.type().min() - zp) * scale, (p.type().max() - zp) * scale};
  }

  /** Smallest and largest finite entries of per-channel minima and maxima. */
  static float[] overall(float[] min, float[] max) {
    float lo = Float.POSITIVE_INFINITY;
    float hi = Float.NEGATIVE_INFINITY;
    for (float f : min) {
      lo = Math.min(lo, f);
    }
    for (float f : max) {
      hi = Math.max(hi, f);
    }
    return new float[] {lo, hi};
  }

  /** Whether {@link #merge} is exact (independent of sharding and order, bit for bit). */
  boolean exactMerge();
}
