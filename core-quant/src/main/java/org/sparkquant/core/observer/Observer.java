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

  /** Whether {@link #merge} is exact (independent of sharding and order, bit for bit). */
  boolean exactMerge();
}
