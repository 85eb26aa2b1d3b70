package org.sparkquant.job.spark;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A job that proves executors can run the engine: each task reports its JVM's process id and the sum of
 * {@code partition*10 .. partition*10+9} computed with DJL. Also a main class for {@code spark-submit}.
 */
public final class EngineProbe {
  private EngineProbe() {}

  /** Expected sum of partition {@code p}: 10p + ... + (10p + 9). */
  static float expectedSum(int p) {
    return 100f * p + 45f;
  }

  /** Configuration of a probe context: SparkQuant's, with the test classes registered. */
  static SparkConf conf(String master, String appName) {
    return SparkContexts.conf(master, appName)
        .set("spark.kryo.registrator", TestKryoRegistrator.class.getName())
        .set("spark.task.maxFailures", "1");
  }

  /** Runs one probe task per partition and returns the reports by partition. */
  static List<ExecutorReport> run(JavaSparkContext sc, int partitions) {
    List<Integer> ids = IntStream.range(0, partitions).boxed().collect(Collectors.toList());
    List<ExecutorReport> reports = new ArrayList<>(
        sc.parallelize(ids, partitions).map(EngineProbe::probe).collect());
    reports.sort(Comparator.comparingInt(ExecutorReport::partition));
    return reports;
  }

  private static ExecutorReport probe(int partition) {
    EngineThreads.fixTo(1);
    try (NDManager manager = NDManager.newBaseManager()) {
      float sum = manager.arange(10f * partition, 10f * partition + 10f, 1f, DataType.FLOAT32).sum().getFloat();
      return new ExecutorReport(partition, ProcessHandle.current().pid(), Engine.getInstance().getEngineName(), sum,
          ai.djl.util.Utils.getEngineCacheDir().toAbsolutePath().toString());
    }
  }

  /** Waits until {@code count} executors have registered with the driver. */
  static void awaitExecutors(JavaSparkContext sc, int count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    // getExecutorInfos includes the driver.
    while (sc.sc().statusTracker().getExecutorInfos().length < count + 1) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            count + " executors did not register within " + timeout + " ("
                + (sc.sc().statusTracker().getExecutorInfos().length - 1) + " did)");
      }
      Thread.sleep(200);
    }
  }

  /**
   * For {@code spark-submit --class org.sparkquant.job.spark.EngineProbe --jars <test jar> <fat jar> N}: waits for
   * N executors, runs 2N probe tasks, prints one line per task and {@code engine E on K executor JVMs}; exit code 1
   * if a sum is wrong.
   */
  public static void main(String[] args) throws InterruptedException {
    int executors = Integer.parseInt(args[0]);
    try (JavaSparkContext sc = new JavaSparkContext(conf(null, "engine-probe"))) {
      awaitExecutors(sc, executors, Duration.ofSeconds(60));
      List<ExecutorReport> reports = run(sc, 2 * executors);
      boolean ok = true;
      for (ExecutorReport r : reports) {
        System.out.println(r);
        ok &= r.sum() == expectedSum(r.partition());
      }
      long pids = reports.stream().mapToLong(ExecutorReport::pid).distinct().count();
      System.out.println("engine " + reports.get(0).engine() + " on " + pids + " executor JVMs, driver pid "
          + ProcessHandle.current().pid());
      if (!ok) {
        System.exit(1);
      }
    }
  }
}
