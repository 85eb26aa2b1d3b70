package org.sparkquant.job.spark;

import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;

/** Test hook of the fault-injection tests: fails the first attempt of one partition's task, so retries run. */
public final class FailureInjection {
  /** The setting naming the partition index whose first task attempt fails. */
  public static final String FAIL_FIRST_ATTEMPT_OF_PARTITION = "spark.sparkquant.test.failFirstAttemptOfPartition";

  private FailureInjection() {}

  /** Fails the first attempt of {@code partition}'s task when {@link #FAIL_FIRST_ATTEMPT_OF_PARTITION} names it. */
  public static void failFirstAttempt(int partition) {
    TaskContext task = TaskContext.get();
    String fail = SparkEnv.get().conf().get(FAIL_FIRST_ATTEMPT_OF_PARTITION, "");
    if (task != null && task.attemptNumber() == 0 && fail.equals(Integer.toString(partition))) {
      throw new IllegalStateException("injected failure of partition " + partition + ", attempt 0");
    }
  }
}
