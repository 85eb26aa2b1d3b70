package org.sparkquant.job.spark;

/**
 * What one probe task saw on its executor: the partition, the executor JVM's process id, the DJL engine, a small
 * result computed with it and the engine's native cache directory. A plain class (no record): Kryo 4 fills fields of an instance made without a constructor.
 */
public final class ExecutorReport {
  private int partition;
  private long pid;
  private String engine;
  private float sum;
  private String engineCache;

  ExecutorReport(int partition, long pid, String engine, float sum, String engineCache) {
    this.partition = partition;
    this.pid = pid;
    this.engine = engine;
    this.sum = sum;
    this.engineCache = engineCache;
  }

  /** Where DJL unpacked the engine's native library in this executor. */
  String engineCache() {
    return engineCache;
  }

  int partition() {
    return partition;
  }

  long pid() {
    return pid;
  }

  String engine() {
    return engine;
  }

  float sum() {
    return sum;
  }

  @Override
  public String toString() {
    return "partition " + partition + " pid " + pid + " " + engine + " sum " + sum;
  }
}
