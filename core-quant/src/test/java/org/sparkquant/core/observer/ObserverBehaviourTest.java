package org.sparkquant.core.observer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.Scheme;

class ObserverBehaviourTest {
  private static RangeConfig int8(NonFinitePolicy policy) {
    return new RangeConfig(QuantType.INT8, Scheme.SYMMETRIC, Granularity.perTensor(), policy);
  }

  private static final float[] WITH_NON_FINITE = {1f, -2f, Float.NaN, Float.POSITIVE_INFINITY, 0.5f};

  @Test
  void nonFiniteValuesFailByDefaultNamingTheTensor() {
    for (Observer<?> obs : new Observer<?>[] {new MinMaxObserver(int8(NonFinitePolicy.ERROR)),
        new HistogramObserver(int8(NonFinitePolicy.ERROR), HistogramObserver.Method.PERCENTILE, 256, 99)}) {
      try (NDManager m = NDManager.newBaseManager()) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> observe(obs, m, WITH_NON_FINITE));
        assertTrue(e.getMessage().contains("tensor 'layer1.output'"), e.getMessage());
      }
    }
  }

  private static <S> S observe(Observer<S> obs, NDManager m, float[] data) {
    S s = obs.newStats();
    obs.observe(s, "layer1.output", m.create(data));
    return s;
  }

  @Test
  void aLoneNegativeInfinityOrNaNIsSeenInEveryChannel() {
    try (NDManager m = NDManager.newBaseManager()) {
      MinMaxObserver error = new MinMaxObserver(int8(NonFinitePolicy.ERROR));
      assertThrows(IllegalArgumentException.class, () -> observe(error, m, new float[] {1f, Float.NEGATIVE_INFINITY}));
      assertThrows(IllegalArgumentException.class, () -> observe(error, m, new float[] {Float.NaN, 3f}));
      MinMaxObserver skip = new MinMaxObserver(int8(NonFinitePolicy.SKIP));
      MinMaxObserver.Stats s = observe(skip, m, new float[] {Float.NaN, 3f, -1f});
      assertArrayEquals(new float[] {-1f}, s.min());
      assertArrayEquals(new float[] {3f}, s.max());
      MinMaxObserver perChannel = new MinMaxObserver(new RangeConfig(QuantType.INT8, Scheme.SYMMETRIC,
          Granularity.perChannel(0), NonFinitePolicy.SKIP));
      MinMaxObserver.Stats c = perChannel.newStats();
      perChannel.observe(c, "t", m.create(new float[] {1f, 2f, Float.NEGATIVE_INFINITY, 4f}, new Shape(2, 2)));
      assertArrayEquals(new float[] {1f, 4f}, c.min());
      assertArrayEquals(new float[] {2f, 4f}, c.max());
    }
  }

  @Test
  void skipIgnoresAndClipSaturatesNonFiniteValues() {
    try (NDManager m = NDManager.newBaseManager()) {
      MinMaxObserver skip = new MinMaxObserver(int8(NonFinitePolicy.SKIP));
      MinMaxObserver.Stats s = observe(skip, m, WITH_NON_FINITE);
      assertArrayEquals(new float[] {-2f}, s.min());
      assertArrayEquals(new float[] {1f}, s.max());
      MinMaxObserver clip = new MinMaxObserver(int8(NonFinitePolicy.CLIP));
      assertArrayEquals(new float[] {Float.MAX_VALUE}, observe(clip, m, WITH_NON_FINITE).max());
      HistogramObserver h = new HistogramObserver(int8(NonFinitePolicy.SKIP), HistogramObserver.Method.PERCENTILE, 256, 100);
      HistogramObserver.Stats hs = observe(h, m, WITH_NON_FINITE);
      assertEquals(3, java.util.Arrays.stream(hs.counts()).sum());
      assertEquals(2f / 127.5f, h.params(hs, new long[] {5}).scale()[0]);
    }
  }

  @Test
  void constantAndAllZeroTensorsGiveFiniteParameters() {
    try (NDManager m = NDManager.newBaseManager()) {
      for (float v : new float[] {0f, 3f, -1e-30f}) {
        float[] data = new float[64];
        java.util.Arrays.fill(data, v);
        for (Observer<?> obs : new Observer<?>[] {
            new MinMaxObserver(RangeConfig.of(QuantType.UINT8, Scheme.ASYMMETRIC, Granularity.perTensor())),
            new HistogramObserver(int8(NonFinitePolicy.ERROR), HistogramObserver.Method.ENTROPY, 2048, 100),
            new HistogramObserver(int8(NonFinitePolicy.ERROR), HistogramObserver.Method.MSE, 2048, 100)}) {
          QuantParams p = params(obs, m, data);
          assertTrue(p.scale()[0] > 0 && Float.isFinite(p.scale()[0]), v + " " + p);
        }
      }
    }
  }

  private static <S> QuantParams params(Observer<S> obs, NDManager m, float[] data) {
    return obs.params(observe(obs, m, data), new long[] {data.length});
  }

  @Test
  void percentileAndEntropyClipRareOutliersThatMinMaxKeeps() {
    float[] data = normalWithOutliers();
    try (NDManager m = NDManager.newBaseManager()) {
      float minmax = params(new MinMaxObserver(int8(NonFinitePolicy.ERROR)), m, data).scale()[0];
      for (HistogramObserver.Method method :
          new HistogramObserver.Method[] {HistogramObserver.Method.PERCENTILE, HistogramObserver.Method.ENTROPY}) {
        // 4096 bins: the range is 2^7 wide, and entropy considers thresholds of at least 128 bins.
        float s = params(new HistogramObserver(int8(NonFinitePolicy.ERROR), method, 4096, 99.99), m, data).scale()[0];
        assertTrue(s < minmax / 5, method + " scale " + s + " vs min/max " + minmax);
        assertTrue(s * 127.5f > 2.5f, method + " keeps the bulk of a unit normal: amax " + s * 127.5f);
      }
      float all = params(new HistogramObserver(int8(NonFinitePolicy.ERROR), HistogramObserver.Method.PERCENTILE,
          2048, 100), m, data).scale()[0];
      assertEquals(minmax, all, "the 100th percentile is the observed range");
    }
  }

  @Test
  void entropyKeepsATailThatHoldsRealMass() {
    // ReLU-like activations: most values small, 2% spread far out; clipping them would move real mass
    java.util.Random r = new java.util.Random(5);
    float[] data = new float[200_000];
    for (int i = 0; i < data.length; i++) {
      data[i] = i % 50 == 0 ? 10f * r.nextFloat() : (float) Math.abs(r.nextGaussian() * 0.1);
    }
    try (NDManager m = NDManager.newBaseManager()) {
      float amax = params(new HistogramObserver(int8(NonFinitePolicy.ERROR), HistogramObserver.Method.ENTROPY, 2048,
          100), m, data).scale()[0] * 127.5f;
      long clipped = 0;
      for (float v : data) {
        clipped += v > amax ? 1 : 0;
      }
      assertTrue(clipped < data.length / 500, "entropy clipped " + clipped + " values above " + amax);
    }
  }

  @Test
  void mseChoosesARangeWithNoMoreErrorThanMinMaxOrPercentile() {
    float[] data = normalWithOutliers();
    long[] shape = {data.length};
    try (NDManager m = NDManager.newBaseManager()) {
      QuantParams mse = params(new HistogramObserver(int8(NonFinitePolicy.ERROR), HistogramObserver.Method.MSE,
          4096, 100), m, data);
      QuantParams minmax = params(new MinMaxObserver(int8(NonFinitePolicy.ERROR)), m, data);
      QuantParams pct = params(new HistogramObserver(int8(NonFinitePolicy.ERROR), HistogramObserver.Method.PERCENTILE,
          4096, 99.9), m, data);
      double e = error(data, shape, mse);
      assertTrue(e <= error(data, shape, minmax), "mse " + e + " vs min/max " + error(data, shape, minmax));
      assertTrue(e <= error(data, shape, pct), "mse " + e + " vs percentile " + error(data, shape, pct));
    }
  }

  private static double error(float[] x, long[] shape, QuantParams p) {
    float[] fq = org.sparkquant.core.numerics.ScalarQuantizer.fakeQuantize(x, shape, p);
    double e = 0;
    for (int i = 0; i < x.length; i++) {
      e += (x[i] - fq[i]) * (double) (x[i] - fq[i]);
    }
    return e;
  }

  /** 20,000 unit normal values, plus two far outliers. */
  private static float[] normalWithOutliers() {
    Random r = new Random(1);
    float[] data = new float[20000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) r.nextGaussian();
    }
    data[5] = 80f;
    data[6] = -75f;
    return data;
  }

  @Test
  void perChannelRangesFollowTheChosenAxis() {
    try (NDManager m = NDManager.newBaseManager()) {
      float[] data = {1, -2, 3, -4, 5, -6};
      MinMaxObserver obs = new MinMaxObserver(RangeConfig.of(QuantType.INT8, Scheme.SYMMETRIC, Granularity.perChannel(0)));
      MinMaxObserver.Stats s = obs.newStats();
      obs.observe(s, "w", m.create(data, new Shape(2, 3)));
      assertArrayEquals(new float[] {-2, -6}, s.min());
      assertArrayEquals(new float[] {3, 5}, s.max());
      assertArrayEquals(new float[] {3 / 127.5f, 6 / 127.5f}, obs.params(s, new long[] {2, 3}).scale());
    }
  }
}
