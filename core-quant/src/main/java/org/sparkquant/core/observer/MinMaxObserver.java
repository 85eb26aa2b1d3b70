package org.sparkquant.core.observer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import java.util.Arrays;
import org.sparkquant.core.numerics.QuantParams;

/**
 * Running minimum and maximum per tensor or per channel. Merging takes elementwise min and max, which is exact and
 * independent of order.
 */
public final class MinMaxObserver implements Observer<MinMaxObserver.Stats> {
  private final RangeConfig config;

  public MinMaxObserver(RangeConfig config) {
    this.config = config;
  }

  /** Minimum and maximum per channel ({@code +inf}/{@code -inf} where nothing was seen); plain data. */
  public static final class Stats implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    float[] min = new float[0];
    float[] max = new float[0];

    public float[] min() {
      return min.clone();
    }

    public float[] max() {
      return max.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Stats s && Arrays.equals(min, s.min) && Arrays.equals(max, s.max);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(min) * 31 + Arrays.hashCode(max);
    }
  }

  @Override
  public Stats newStats() {
    return new Stats();
  }

  @Override
  public void observe(Stats stats, String tensor, NDArray x) {
    float[][] range = ranges(config, tensor, x);
    combine(stats, range[0], range[1]);
  }

  /**
   * Per-channel finite min and max of {@code x} after the non-finite policy, computed on the engine. Plain min and
   * max come first (two passes): they are non-finite exactly when a channel holds an infinity or a NaN, and only then
   * is the policy applied, which takes several more passes over the data.
   */
  static float[][] ranges(RangeConfig config, String tensor, NDArray x) {
    NDArray data = config.byChannel(x);
    float[] min = data.min(new int[] {1}).toFloatArray();
    float[] max = data.max(new int[] {1}).toFloatArray();
    if (allFinite(min) && allFinite(max)) {
      return new float[][] {min, max};
    }
    NDArray finite = data.isInfinite().logicalOr(data.isNaN()).logicalNot();
    long bad = data.getShape().size() - finite.sum().getLong();
    if (bad > 0 && config.nonFinite() == NonFinitePolicy.ERROR) {
      throw config.nonFiniteError(tensor, bad);
    }
    NDArray lowSource = data;
    NDArray highSource = data;
    if (bad > 0) {
      NDArray usable = config.nonFinite() == NonFinitePolicy.CLIP ? data.isNaN().logicalNot() : finite;
      NDArray clipped = config.nonFinite() == NonFinitePolicy.CLIP ? data.clip(-Float.MAX_VALUE, Float.MAX_VALUE) : data;
      lowSource = NDArrays.where(usable, clipped, data.getManager().full(data.getShape(), Float.POSITIVE_INFINITY));
      highSource = NDArrays.where(usable, clipped, data.getManager().full(data.getShape(), Float.NEGATIVE_INFINITY));
    }
    return new float[][] {lowSource.min(new int[] {1}).toFloatArray(), highSource.max(new int[] {1}).toFloatArray()};
  }

  private static boolean allFinite(float[] v) {
    for (float f : v) {
      if (!Float.isFinite(f)) {
        return false;
      }
    }
    return true;
  }

  private static void combine(Stats s, float[] min, float[] max) {
    if (s.min.length == 0) {
      s.min = min.clone();
      s.max = max.clone();
      return;
    }
    if (s.min.length != min.length) {
      throw new IllegalArgumentException("channel count changed from " + s.min.length + " to " + min.length);
    }
    for (int i = 0; i < min.length; i++) {
      s.min[i] = Math.min(s.min[i], min[i]);
      s.max[i] = Math.max(s.max[i], max[i]);
    }
  }

  @Override
  public Stats merge(Stats a, Stats b) {
    Stats out = new Stats();
    for (Stats s : new Stats[] {a, b}) {
      if (s.min.length > 0) {
        combine(out, s.min, s.max);
      }
    }
    return out;
  }

  @Override
  public QuantParams params(Stats stats, long[] shape) {
    if (stats.min.length == 0) {
      throw new IllegalStateException("no data was observed");
    }
    float[] lo = stats.min.clone();
    float[] hi = stats.max.clone();
    for (int i = 0; i < lo.length; i++) {
      if (lo[i] > hi[i]) {
        lo[i] = 0;
        hi[i] = 0;
      }
    }
    return config.params(shape, lo, hi);
  }

  @Override
  public float[] observedRange(Stats stats) {
    return Observer.overall(stats.min, stats.max);
  }

  @Override
  public boolean exactMerge() {
    return true;
  }
}
