package org.sparkquant.job.spark;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import org.sparkquant.core.exec.DjlExecutor;

/**
 * The engine's intra-op thread count is process-wide; tasks fix it to {@code spark.task.cpus}, so that a kernel
 * splits its work the same way on every master (and concurrent tasks in one JVM do not oversubscribe the cores).
 * In a fresh executor JVM the engine's native library is loaded first: a task may fix the threads before anything
 * else touched the engine. Code that runs the engine on a driver thread beside tasks in the same JVM (local masters)
 * sets its count here too, so that the record of the current count stays true.
 */
public final class EngineThreads {
  private static int current = -1;

  private EngineThreads() {}

  public static synchronized void fixTo(int threads) {
    if (threads != current) {
      Engine.getEngine(DjlExecutor.ENGINE);
      JniUtils.setNumThreads(threads);
      current = threads;
    }
  }
}
