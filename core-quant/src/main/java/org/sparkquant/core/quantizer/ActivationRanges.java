package org.sparkquant.core.quantizer;

import ai.djl.ndarray.NDArray;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.observer.Observer;

/**
 * The range statistics of a prepared model's activation quantizers, per parameter group (quantizers that share
 * parameters share statistics), and the parameters frozen from them, recomputed only after new observations.
 * Parameters fixed from outside (learned by quantization-aware training) win over the statistics.
 *
 * @param <S> the observer's statistics
 */
final class ActivationRanges<S> {
  private final Observer<S> observer;
  private final Map<String, S> stats = new LinkedHashMap<>();
  private final Map<String, QuantParams> params = new HashMap<>();
  private final Map<String, QuantParams> fixed = new HashMap<>();

  ActivationRanges(Observer<S> observer) {
    this.observer = observer;
  }

  /** Adds the values {@code v} of activation {@code tensor} to the statistics of {@code group}. */
  void observe(String group, String tensor, NDArray v) {
    observer.observe(stats.computeIfAbsent(group, g -> observer.newStats()), tensor, v);
    params.remove(group);
  }

  /** Whether {@code group} has statistics or fixed parameters. */
  boolean seen(String group) {
    return stats.containsKey(group) || fixed.containsKey(group);
  }

  /** The parameters of {@code group}: fixed, or frozen from its statistics. */
  QuantParams params(String group) {
    QuantParams f = fixed.get(group);
    return f != null ? f : params.computeIfAbsent(group, g -> observer.params(stats.get(g), new long[0]));
  }

  void fix(String group, QuantParams p) {
    fixed.put(group, p);
  }

  /** A copy of the statistics that can be shipped and merged. */
  ActivationStatistics snapshot(long samples) {
    Map<String, Object> copy = new LinkedHashMap<>();
    stats.forEach((g, s) -> copy.put(g, observer.merge(s, observer.newStats())));
    return new ActivationStatistics(copy, samples);
  }

  /** Forgets the statistics (fixed parameters stay). */
  void clear() {
    stats.clear();
    params.clear();
  }

  @SuppressWarnings("unchecked")
  void merge(ActivationStatistics other) {
    other.groups().forEach((g, s) -> {
      S mine = stats.get(g);
      stats.put(g, mine == null ? observer.merge((S) s, observer.newStats()) : observer.merge(mine, (S) s));
      params.remove(g);
    });
  }

  PreparedModel.ActivationReport report(String value, String group, long samples) {
    S s = stats.containsKey(group) ? stats.get(group) : observer.newStats();
    QuantParams p = params(group);
    float[] range = observer.observedRange(s);
    return new PreparedModel.ActivationReport(value, group, p, range[0], range[1], observer.clippedFraction(s, p),
        samples);
  }
}
