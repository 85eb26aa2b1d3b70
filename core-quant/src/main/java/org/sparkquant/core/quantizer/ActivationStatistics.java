package org.sparkquant.core.quantizer;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.observer.Observer;

/**
 * A snapshot of a prepared model's activation statistics: the observer statistics of every parameter group and the
 * number of samples they saw. Snapshots from different shards of the data merge with
 * {@link PreparedModel#addStatistics}; for observers with an exact merge (min/max, histograms) the result does not
 * depend on how the data was sharded or in which order the snapshots are added.
 *
 * <p>Plain data, so that it can travel between processes (the Spark jobs register these classes with Kryo).
 */
public final class ActivationStatistics implements Serializable {
  private static final long serialVersionUID = 1L;

  private final LinkedHashMap<String, Object> groups;
  private final long samples;

  ActivationStatistics(Map<String, ?> groups, long samples) {
    this.groups = new LinkedHashMap<>(groups);
    this.samples = samples;
  }

  /** Statistics per parameter group (the observer's statistics type). */
  public Map<String, Object> groups() {
    return Collections.unmodifiableMap(groups);
  }

  /** Samples observed. */
  public long samples() {
    return samples;
  }

  /** Statistics of no data. */
  public static ActivationStatistics empty() {
    return new ActivationStatistics(Map.of(), 0);
  }

  /**
   * The statistics of both snapshots' data, merged with the observer of {@code spec} (as
   * {@link PreparedModel#addStatistics} merges them); neither snapshot changes.
   */
  public ActivationStatistics plus(ActivationStatistics other, ActivationSpec spec) {
    return plus(other, spec.newObserver());
  }

  @SuppressWarnings("unchecked")
  private <S> ActivationStatistics plus(ActivationStatistics other, Observer<S> observer) {
    LinkedHashMap<String, Object> out = new LinkedHashMap<>();
    groups.forEach((g, s) -> out.put(g, observer.merge((S) s, observer.newStats())));
    other.groups.forEach((g, s) -> {
      S mine = (S) out.get(g);
      out.put(g, observer.merge(mine == null ? observer.newStats() : mine, (S) s));
    });
    return new ActivationStatistics(out, samples + other.samples);
  }

  /** The frozen per-tensor parameters of every group, as the observer of {@code spec} chooses them. */
  public Map<String, QuantParams> params(ActivationSpec spec) {
    return params(spec.newObserver());
  }

  @SuppressWarnings("unchecked")
  private <S> Map<String, QuantParams> params(Observer<S> observer) {
    Map<String, QuantParams> out = new LinkedHashMap<>();
    groups.forEach((g, s) -> out.put(g, observer.params((S) s, new long[0])));
    return out;
  }
}
