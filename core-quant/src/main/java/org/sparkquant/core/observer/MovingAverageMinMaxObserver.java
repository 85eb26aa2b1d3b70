package org.sparkquant.core.observer;

import ai.djl.ndarray.NDArray;
import org.sparkquant.core.numerics.QuantParams;

/**
 * Exponential moving average of per-batch minima and maxima: {@code r ← (1 − m)·r + m·batch} (the first batch sets
 * {@code r}). The result depends on the order of batches by construction, so merging is not exact: shards are
 * combined by averaging their running values weighted by batch counts, which is associative and commutative up to
 * float rounding but not equal to observing the batches in one stream. Excluded from the sharding-invariance
 * guarantee.
 */
public final class MovingAverageMinMaxObserver implements Observer<MovingAverageMinMaxObserver.Stats> {
  private final RangeConfig config;
  private final float momentum;

  /** @param momentum weight of each new batch, in (0, 1]; peers use 0.01 */
  public MovingAverageMinMaxObserver(RangeConfig config, float momentum) {
    if (!(momentum > 0 && momentum <= 1)) {
      throw new IllegalArgumentException("momentum must be in (0, 1], found " + momentum);
    }
    this.config = config;
    this.momentum = momentum;
  }

  /** Running min and max per channel and the number of batches behind them. */
  public static final class Stats implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    float[] min = new float[0];
    float[] max = new float[0];
    long batches;

    public float[] min() {
      return min.clone();
    }

    public float[] max() {
      return max.clone();
    }

    public long batches() {
      return batches;
    }
  }

  @Override
  public Stats newStats() {
    return new Stats();
  }

  @Override
  public void observe(Stats s, String tensor, NDArray x) {
    float[][] r = MinMaxObserver.ranges(config, tensor, x);
    if (s.batches == 0) {
      s.min = r[0];
      s.max = r[1];
    } else {
      for (int i = 0; i < s.min.length; i++) {
        s.min[i] = (1 - momentum) * s.min[i] + momentum * r[0][i];
        s.max[i] = (1 - momentum) * s.max[i] + momentum * r[1][i];
      }
    }
    s.batches++;
  }

  @Override
  public Stats merge(Stats a, Stats b) {
    if (a.batches == 0 || b.batches == 0) {
      Stats src = a.batches == 0 ? b : a;
      Stats out = new Stats();
      out.min = src.min.clone();
      out.max = src.max.clone();
      out.batches = src.batches;
      return out;
    }
    Stats out = new Stats();
    out.batches = a.batches + b.batches;
    out.min = new float[a.min.length];
    out.max = new float[a.max.length];
    double wa = (double) a.batches / out.batches;
    for (int i = 0; i < out.min.length; i++) {
      out.min[i] = (float) (wa * a.min[i] + (1 - wa) * b.min[i]);
      out.max[i] = (float) (wa * a.max[i] + (1 - wa) * b.max[i]);
    }
    return out;
  }

  @Override
  public QuantParams params(Stats stats, long[] shape) {
    if (stats.batches == 0) {
      throw new IllegalStateException("no data was observed");
    }
    return config.params(shape, stats.min, stats.max);
  }

  @Override
  public float[] observedRange(Stats stats) {
    return Observer.overall(stats.min, stats.max);
  }

  /** Unknown: the statistics hold averaged extremes, not the data's. */
  @Override
  public double clippedFraction(Stats stats, QuantParams p) {
    return Double.NaN;
  }

  @Override
  public boolean exactMerge() {
    return false;
  }
}
