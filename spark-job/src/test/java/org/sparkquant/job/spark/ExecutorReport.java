package org.sparkquant.job.spark;

/**
 * What one probe task saw on its executor: the partition, the executor JVM's process id, the DJL engine and a small
 * result computed with it. A plain class (no record): Kryo 4 fills fields of an instance made without a constructor.
 */
public final class ExecutorReport {
  private int partition;
  private long pid;
  private String engine;
  private float sum;

  ExecutorReport(int partition, long pid, String engine, float sum) {
    this.partition = partition;
    this.pid = pid;
    this.engine = engine;
    this.sum = sum;
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
