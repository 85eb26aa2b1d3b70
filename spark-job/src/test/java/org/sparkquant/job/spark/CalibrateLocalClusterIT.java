package org.sparkquant.job.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code sparkquant calibrate --master local-cluster[2,1,2048]}: two executor JVMs, started from the Spark home of
 * the build, running the fat jar. Every run must write the model the {@code local[1]} run writes, byte for byte:
 * plainly, with the first attempt of a partition failing, and with an executor JVM killed while it calibrates.
 */
class CalibrateLocalClusterIT {
  /**
   * Jobs start once both executors registered (on a loaded machine one may take longer than Spark's default 30 s),
   * and tasks go to any free executor at once, rather than waiting for the one holding their shuffle input.
   */
  private static final String[] SPREAD = {"--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
      "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=180s", "--conf", "spark.locality.wait=0"};

  @BeforeAll
  static void reference() {
    LocalCluster.requiredEnv("SPARK_HOME");
    CalibrateRuns.referenceModel();
  }

  @Test
  void twoExecutorJvmsWriteTheModelOfLocalOne() throws Exception {
    CalibrateRuns.Result r = run("local-cluster", false);
    assertEquals(0, r.code(), r.both());
    CalibrationTaskEvents events = CalibrationTaskEvents.latest();
    System.out.println(events);
    assertEquals(Boolean.TRUE, events.succeeded(), events.toString());
    assertEquals(List.of(), events.failures(), events.toString());
    assertEquals(2, events.executorsThatCalibrated().size(), "calibrated on one executor JVM: " + events);
    JsonNode report = new ObjectMapper().readTree(
        CalibrateRuns.OUTPUT_ROOT.resolve("local-cluster/report.json").toFile());
    assertTrue(report.get("provenance").get("spark_application_id").asText().startsWith("app-"),
        "not a standalone application: " + report.get("provenance"));
    assertEquals(4, report.get("totals").get("partitions").asInt());
    assertArrayEquals(CalibrateRuns.referenceModel(), CalibrateRuns.model("local-cluster"));
  }

  @Test
  void aFailedFirstAttemptIsRetriedAndTheModelIsTheSame() {
    CalibrateRuns.Result r = run("local-cluster-task-failure", false,
        "--conf", "spark.sparkquant.test.failFirstAttemptOfPartition=1");
    assertEquals(0, r.code(), r.both());
    CalibrationTaskEvents events = CalibrationTaskEvents.latest();
    System.out.println(events);
    assertEquals(Boolean.TRUE, events.succeeded(), events.toString());
    List<CalibrationTaskEvents.TaskEnd> failures = events.failures();
    assertEquals(1, failures.size(), events.toString());
    assertEquals(1, failures.get(0).partition(), events.toString());
    assertEquals(0, failures.get(0).attempt(), events.toString());
    assertTrue(failures.get(0).reason().contains("injected failure of partition 1, attempt 0"), events.toString());
    assertTrue(events.taskEnds().stream().anyMatch(e -> e.successful() && e.partition() == 1 && e.attempt() == 1),
        "partition 1 was not retried: " + events);
    assertArrayEquals(CalibrateRuns.referenceModel(), CalibrateRuns.model("local-cluster-task-failure"));
  }

  @Test
  void anExecutorJvmKilledWhileCalibratingIsReplacedAndTheModelIsTheSame() {
    CalibrateRuns.Result r = run("local-cluster-executor-killed", true);
    assertEquals(0, r.code(), r.both());
    CalibrationTaskEvents events = CalibrationTaskEvents.latest();
    System.out.println(events);
    assertNull(events.killError(), events.toString());
    assertNotNull(events.killed(), events.toString());
    assertEquals(Boolean.TRUE, events.succeeded(), events.toString());
    assertTrue(events.failures().stream().anyMatch(e -> e.reason().startsWith("ExecutorLostFailure")),
        "no task was lost with the executor: " + events);
    assertEquals(1, events.removedExecutors().size(), events.toString());
    assertArrayEquals(CalibrateRuns.referenceModel(), CalibrateRuns.model("local-cluster-executor-killed"));
  }

  private static CalibrateRuns.Result run(String name, boolean killExecutor, String... extra) {
    String[] args = Stream.of(CalibrationTaskEvents.confArgs(killExecutor), SPREAD, extra)
        .flatMap(Stream::of).toArray(String[]::new);
    return CalibrateRuns.inProcess(name, LocalCluster.MASTER, args);
  }
}
