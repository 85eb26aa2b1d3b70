package org.sparkquant.job.samples;

import java.io.Serializable;

/**
 * How calibration samples, numbered {@code 0 … samples-1} in a global order, form batches and where the batches
 * run: batch {@code b} holds samples {@code [b·batchSize, (b+1)·batchSize)}, and each partition holds a contiguous
 * run of whole batches. Partitioning therefore decides only where a batch runs, never what is in it.
 *
 * @param samples number of samples
 * @param batchSize samples per batch (the last batch may be smaller)
 * @param partitions requested partitions; {@link #partitionCount()} never exceeds the number of batches
 */
public record BatchPlan(long samples, int batchSize, int partitions) implements Serializable {
  public BatchPlan {
    if (samples < 1 || batchSize < 1 || partitions < 1) {
      throw new IllegalArgumentException("samples, batch size and partitions must be positive");
    }
  }

  /** Number of batches. */
  public long batches() {
    return (samples + batchSize - 1) / batchSize;
  }

  /** Partitions actually used: at most one per batch. */
  public int partitionCount() {
    return (int) Math.min(partitions, batches());
  }

  /** The batch of the sample at {@code globalIndex}. */
  public long batchOf(long globalIndex) {
    return globalIndex / batchSize;
  }

  /** The partition that runs batch {@code batch}: balanced contiguous ranges. */
  public int partitionOfBatch(long batch) {
    return (int) (batch * partitionCount() / batches());
  }

  /** Number of batches partition {@code p} runs. */
  public long batchesIn(int p) {
    return firstBatch(p + 1) - firstBatch(p);
  }

  /** The first batch partition {@code p} runs. */
  public long firstBatch(int p) {
    // the smallest b with b * P / B >= p
    long n = batches();
    int parts = partitionCount();
    return (p * n + parts - 1) / parts;
  }
}
