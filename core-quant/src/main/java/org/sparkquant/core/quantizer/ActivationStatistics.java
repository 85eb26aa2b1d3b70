package org.sparkquant.core.quantizer;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A snapshot of a prepared model's activation statistics: the observer statistics of every parameter group and the
 * number of samples they saw. Snapshots from different shards of the data merge with
 * {@link PreparedModel#addStatistics}; for observers with an exact merge (min/max, histograms) the result does not
 * depend on how the data was sharded or in which order the snapshots are added.
 *
 * <p>Plain data, so that it can travel between processes (the Spark jobs register these classes with Kryo).
 */
public final class ActivationStatistics {
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
}
