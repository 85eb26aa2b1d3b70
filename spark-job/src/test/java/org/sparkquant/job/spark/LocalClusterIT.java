package org.sparkquant.job.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** SparkQuant's Spark configuration on two real executor JVMs ({@code local-cluster}). */
class LocalClusterIT {
  private static JavaSparkContext sc;

  @BeforeAll
  static void startCluster() throws InterruptedException {
    sc = LocalCluster.start("local-cluster-it");
  }

  @AfterAll
  static void stopCluster() {
    if (sc != null) {
      sc.close();
    }
  }

  @Test
  void tasksRunTheEngineOnTwoExecutorJvms() {
    List<ExecutorReport> reports = EngineProbe.run(sc, 8);
    assertEquals(8, reports.size());
    for (ExecutorReport r : reports) {
      assertEquals("PyTorch", r.engine(), r.toString());
      assertEquals(EngineProbe.expectedSum(r.partition()), r.sum(), r.toString());
      assertNotEquals(ProcessHandle.current().pid(), r.pid(), "task ran in the driver: " + r);
      assertTrue(r.engineCache().endsWith(java.io.File.separator + EngineThreads.CACHE_NAME)
          && !r.engineCache().startsWith(System.getProperty("user.home")),
          "DJL's native cache should be in the node's Spark local directory: " + r.engineCache());
    }
    assertEquals(2, reports.stream().mapToLong(ExecutorReport::pid).distinct().count(), reports.toString());
  }

  @Test
  void unregisteredClassesFailTheJob() {
    assertEquals("org.apache.spark.serializer.KryoSerializer", sc.getConf().get("spark.serializer"));
    assertEquals("true", sc.getConf().get("spark.kryo.registrationRequired"));
    SparkException e = assertThrows(SparkException.class,
        () -> sc.parallelize(List.of(1, 2), 2).map(Optional::of).collect());
    assertTrue(e.getMessage().contains("Class is not registered: java.util.Optional"), e.getMessage());
  }

  @Test
  void executorsGetTheEngineSettings() {
    String options = sc.getConf().get("spark.executor.extraJavaOptions");
    assertTrue(options.contains("-Dai.djl.pytorch.num_threads=1"), options);
    List<String> seen = sc.parallelize(List.of(1, 2), 2)
        .map(i -> System.getProperty("ai.djl.pytorch.num_threads") + " " + System.getProperty("ai.djl.offline")
            + " " + System.getenv("MALLOC_ARENA_MAX"))
        .collect();
    assertEquals(List.of("1 true 1", "1 true 1"), seen);
  }
}
