package org.sparkquant.job.spark;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.io.File;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.sparkquant.core.exec.DjlExecutor;

/**
 * The engine's intra-op thread count is process-wide; tasks fix it to {@code spark.task.cpus}, so that a kernel
 * splits its work the same way on every master (and concurrent tasks in one JVM do not oversubscribe the cores).
 * In a fresh executor JVM the engine's native library is loaded first: a task may fix the threads before anything
 * else touched the engine. Code that runs the engine on a driver thread beside tasks in the same JVM (local masters)
 * sets its count here too, so that the record of the current count stays true.
 *
 * <p>Before the engine loads in an executor JVM, DJL's caches ({@code DJL_CACHE_DIR}, {@code ENGINE_CACHE_DIR}, where
 * it unpacks the PyTorch native library, about 430 MB) go to {@value #CACHE_NAME} in the node's Spark local directory
 * ({@code SPARK_LOCAL_DIRS}, YARN's {@code LOCAL_DIRS}, {@code spark.local.dir}, else the temporary directory),
 * shared by the node's executors and applications, unless the environment or a system property names them: a home
 * directory may be missing, shared or read-only on cluster nodes. DJL is kept offline there too ({@value #OFFLINE}),
 * also in applications whose executor options SparkQuant did not set.
 */
public final class EngineThreads {
  private static int current = -1;

  private EngineThreads() {}

  /** The directory under the node's Spark local directory that holds DJL's caches on executors. */
  static final String CACHE_NAME = "sparkquant-djl";

  /** DJL's switch that keeps it from downloading anything; on in executors unless set otherwise. */
  static final String OFFLINE = "ai.djl.offline";

  /** The caches DJL reads from the environment or system properties. */
  static final List<String> CACHE_SETTINGS = List.of("DJL_CACHE_DIR", "ENGINE_CACHE_DIR");

  public static synchronized void fixTo(int threads) {
    if (threads != current) {
      placeNativeCache();
      Engine.getEngine(DjlExecutor.ENGINE);
      JniUtils.setNumThreads(threads);
      current = threads;
    }
  }

  /**
   * Keeps DJL from downloading anything ({@value #OFFLINE}) unless set otherwise: in executors, and in drivers that
   * a cluster manager started (cluster deploy mode), whose options SparkQuant's launcher did not set.
   */
  public static void keepOffline() {
    if (System.getProperty(OFFLINE) == null) {
      System.setProperty(OFFLINE, "true");
    }
  }

  /** Whether this JVM is a Spark executor (not a driver, whose local masters run tasks in-process). */
  static boolean inExecutor() {
    SparkEnv env = SparkEnv.get();
    return env != null && !"driver".equals(env.executorId());
  }

  private static void placeNativeCache() {
    if (!inExecutor()) {
      return;
    }
    SparkEnv env = SparkEnv.get();
    keepOffline();
    String dir = new File(localDir(env), CACHE_NAME).getAbsolutePath();
    for (String key : CACHE_SETTINGS) {
      if (System.getenv(key) == null && System.getProperty(key) == null) {
        System.setProperty(key, dir);
      }
    }
  }

  private static String localDir(SparkEnv env) {
    for (String dirs : new String[] {System.getenv("SPARK_LOCAL_DIRS"), System.getenv("LOCAL_DIRS"),
        env.conf().get("spark.local.dir", null)}) {
      if (dirs != null && !dirs.isBlank()) {
        return dirs.split(",")[0].trim();
      }
    }
    return System.getProperty("java.io.tmpdir");
  }
}
