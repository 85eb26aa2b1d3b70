package org.sparkquant.job.calibrate;

import ai.djl.pytorch.jni.JniUtils;

/**
 * The engine's intra-op thread count is process-wide; tasks fix it to {@code spark.task.cpus}, so that a kernel
 * splits its work the same way on every master (and concurrent tasks in one JVM do not oversubscribe the cores).
 */
final class EngineThreads {
  private static int current = -1;

  private EngineThreads() {}

  static synchronized void fixTo(int threads) {
    if (threads != current) {
      JniUtils.setNumThreads(threads);
      current = threads;
    }
  }
}
