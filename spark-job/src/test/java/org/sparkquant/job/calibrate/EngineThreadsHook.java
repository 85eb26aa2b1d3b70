package org.sparkquant.job.calibrate;

/**
 * Lets benchmarks that run the engine on the driver thread and calibration tasks in the same JVM (local masters) set
 * the intra-op thread count through {@link EngineThreads}, so that its record of the current count stays true and
 * the next task sets its own count again.
 */
public final class EngineThreadsHook {
  private EngineThreadsHook() {}

  /** Sets the engine's intra-op threads for the calling thread (and threads that start using the engine later). */
  public static void fixTo(int threads) {
    EngineThreads.fixTo(threads);
  }
}
