package org.sparkquant.core.observer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.Scheme;

/**
 * Exact observers give bitwise-identical statistics and parameters however the data is split into batches and
 * shards and in whatever order the shards are merged.
 */
class ObserverMergeTest {
  static final int ROWS = 210;
  static final int COLS = 24;

  static Stream<Arguments> exactObservers() {
    List<Arguments> out = new ArrayList<>();
    for (Granularity g : new Granularity[] {Granularity.perTensor(), Granularity.perChannel(1)}) {
      RangeConfig sym = RangeConfig.of(QuantType.INT8, Scheme.SYMMETRIC, g);
      RangeConfig asym = RangeConfig.of(QuantType.UINT8, Scheme.ASYMMETRIC, g);
      out.add(Arguments.of("minmax " + g, new MinMaxObserver(asym)));
      out.add(Arguments.of("percentile " + g, new HistogramObserver(sym, HistogramObserver.Method.PERCENTILE, 2048, 99.9)));
      out.add(Arguments.of("percentile asym " + g, new HistogramObserver(asym, HistogramObserver.Method.PERCENTILE, 1024, 99.5)));
      out.add(Arguments.of("entropy " + g, new HistogramObserver(sym, HistogramObserver.Method.ENTROPY, 2048, 100)));
      out.add(Arguments.of("mse " + g, new HistogramObserver(asym, HistogramObserver.Method.MSE, 512, 100)));
    }
    return out.stream();
  }

  /** Rows of heavy-tailed data whose scale grows along the rows, so later rows widen the range. */
  static float[][] rows(long seed) {
    Random r = new Random(seed);
    float[][] rows = new float[ROWS][COLS];
    for (int i = 0; i < ROWS; i++) {
      for (int j = 0; j < COLS; j++) {
        double v = r.nextGaussian() * (1 + i / 20.0) * (1 + j % 5);
        rows[i][j] = (float) (r.nextInt(50) == 0 ? v * 40 : v);
      }
    }
    return rows;
  }

  /** Observes rows [from, to) in batches of the given size. */
  static <S> S observeRange(Observer<S> obs, NDManager m, float[][] rows, int from, int to, int batch) {
    S stats = obs.newStats();
    for (int i = from; i < to; i += batch) {
      int n = Math.min(batch, to - i);
      float[] flat = new float[n * COLS];
      for (int k = 0; k < n; k++) {
        System.arraycopy(rows[i + k], 0, flat, k * COLS, COLS);
      }
      obs.observe(stats, "t", m.create(flat, new Shape(n, COLS)));
    }
    return stats;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("exactObservers")
  <S> void mergeIsIndependentOfShardingAndOrder(String name, Observer<S> obs) {
    assertTrue(obs.exactMerge());
    float[][] rows = rows(42);
    long[] shape = {ROWS, COLS};
    Random r = new Random(7);
    try (NDManager m = NDManager.newBaseManager()) {
      S whole = observeRange(obs, m, rows, 0, ROWS, ROWS);
      QuantParams reference = obs.params(whole, shape);
      for (int shards : new int[] {1, 3, 7}) {
        List<S> parts = new ArrayList<>();
        for (int s = 0; s < shards; s++) {
          parts.add(observeRange(obs, m, rows, s * ROWS / shards, (s + 1) * ROWS / shards, 1 + r.nextInt(17)));
        }
        for (int order = 0; order < 3; order++) {
          Collections.shuffle(parts, r);
          S merged = order == 2 ? treeMerge(obs, parts) : parts.stream().reduce(obs.newStats(), obs::merge);
          assertEquals(whole, merged, name + ": statistics, " + shards + " shards");
          assertEquals(reference, obs.params(merged, shape), name + ": parameters, " + shards + " shards");
        }
      }
    }
  }

  private static <S> S treeMerge(Observer<S> obs, List<S> parts) {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    int mid = parts.size() / 2;
    return obs.merge(treeMerge(obs, parts.subList(mid, parts.size())), treeMerge(obs, parts.subList(0, mid)));
  }

  @org.junit.jupiter.api.Test
  void movingAverageIsOrderDependentAndSaysSo() {
    MovingAverageMinMaxObserver obs =
        new MovingAverageMinMaxObserver(RangeConfig.of(QuantType.INT8, Scheme.SYMMETRIC, Granularity.perTensor()), 0.1f);
    assertFalse(obs.exactMerge());
    float[][] rows = rows(3);
    try (NDManager m = NDManager.newBaseManager()) {
      MovingAverageMinMaxObserver.Stats forward = observeRange(obs, m, rows, 0, ROWS, 10);
      float[][] reversed = rows.clone();
      Collections.reverse(java.util.Arrays.asList(reversed));
      MovingAverageMinMaxObserver.Stats backward = observeRange(obs, m, reversed, 0, ROWS, 10);
      assertTrue(forward.max()[0] != backward.max()[0], "batch order changes the running range");
      assertEquals(ROWS / 10, forward.batches());
    }
  }
}
