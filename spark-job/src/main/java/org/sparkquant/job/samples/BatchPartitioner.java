package org.sparkquant.job.samples;

import org.apache.spark.Partitioner;

/** Routes a sample, keyed by its global index, to the partition that runs its batch. */
final class BatchPartitioner extends Partitioner {
  private final BatchPlan plan;

  BatchPartitioner(BatchPlan plan) {
    this.plan = plan;
  }

  @Override
  public int numPartitions() {
    return plan.partitionCount();
  }

  @Override
  public int getPartition(Object key) {
    return plan.partitionOfBatch(plan.batchOf((Long) key));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BatchPartitioner p && p.plan.equals(plan);
  }

  @Override
  public int hashCode() {
    return plan.hashCode();
  }
}
