package org.sparkquant.job.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/**
 * {@code sparkquant gptq --preset w4a8g32 --master local-cluster[2,1,2048]}: GPTQ with the boundaries of the
 * calibration batches held by two executor JVMs (checkpointed on the way), then activation calibration on the
 * quantized model; the model must be the {@code local[1]} run's, byte for byte, with the same partitions.
 */
class GptqLocalClusterIT {
  private static final String[] ARGS = {"--preset", "w4a8g32",
      "--conf", "spark.sparkquant.gptq.checkpointEvery=8"};

  @Test
  void twoExecutorJvmsWriteTheModelOfLocalOne() throws Exception {
    LocalCluster.requiredEnv("SPARK_HOME");
    CalibrateRuns.Result local = CalibrateRuns.inProcess("gptq", "gptq-local-1", "local[1]", ARGS);
    assertEquals(0, local.code(), local.both());
    String[] cluster = java.util.stream.Stream.of(ARGS, new String[] {
        "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
        "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=180s", "--conf", "spark.locality.wait=0"})
        .flatMap(java.util.stream.Stream::of).toArray(String[]::new);
    CalibrateRuns.Result r = CalibrateRuns.inProcess("gptq", "gptq-local-cluster", LocalCluster.MASTER, cluster);
    assertEquals(0, r.code(), r.both());
    JsonNode report = new ObjectMapper().readTree(
        CalibrateRuns.OUTPUT_ROOT.resolve("gptq-local-cluster/report.json").toFile());
    assertTrue(report.get("provenance").get("spark_application_id").asText().startsWith("app-"),
        "not a standalone application: " + report.get("provenance"));
    assertEquals(37, report.get("totals").get("gptq_layers").asInt());
    assertTrue(report.get("activations").size() >= 30, report.toString());
    assertArrayEquals(CalibrateRuns.model("gptq-local-1"), CalibrateRuns.model("gptq-local-cluster"));
  }
}
