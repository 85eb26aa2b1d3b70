package org.sparkquant.job.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparkquant.io.onnx.OrtReference;

/**
 * The fat jar under {@code spark-submit} on a real standalone cluster (a master and two workers on loopback). The
 * submitted {@code calibrate} gets its master from {@code spark-submit} and must write the model the
 * {@code local[1]} run writes.
 */
class StandaloneClusterIT {
  private static final int BASE_PORT = 47170;
  private static StandaloneCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = StandaloneCluster.start(Path.of(LocalCluster.requiredEnv("SPARK_HOME")),
        Path.of("target", "it-logs", "standalone"), BASE_PORT, 2);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void submittedCliInspectsAModel() throws Exception {
    StandaloneCluster.Result r = cluster.submit("org.sparkquant.job.cli.SparkQuantCli",
        "inspect", "--model", LocalCluster.requiredProperty("sparkquant.minilm"));
    assertEquals(0, r.exitCode(), r.output());
    assertTrue(r.output().contains("summary  494 nodes, 302 constants, 22,713,268 parameters, default opset 14"),
        r.output());
  }

  @Test
  void executorsOfTheClusterRunTheEngine() throws Exception {
    StandaloneCluster.Result r = cluster.submit(
        List.of("--jars", LocalCluster.requiredProperty("sparkquant.test.jar")),
        EngineProbe.class.getName(), "2");
    assertEquals(0, r.exitCode(), r.output());
    assertTrue(r.output().contains("engine PyTorch on 2 executor JVMs"), r.output());
  }

  /**
   * The fat jar under {@code spark-submit} with {@code file://} URIs for model, tokenizer and output: the model it
   * writes is the {@code local[1]} run's, and ONNX Runtime loads and runs it.
   */
  @Test
  void submittedCalibrationWithFileUrisWritesTheModelOfLocalOneWhichOnnxRuntimeRuns() throws Exception {
    Path output = CalibrateRuns.OUTPUT_ROOT.resolve("standalone");
    List<String> args = new java.util.ArrayList<>(CalibrateRuns.args(output));
    for (String option : List.of("--model", "--tokenizer", "--output")) {
      int i = args.indexOf(option) + 1;
      args.set(i, Path.of(args.get(i)).toUri().toString());
    }
    assertTrue(args.get(args.indexOf("--model") + 1).startsWith("file:///"), args.toString());
    StandaloneCluster.Result r = cluster.submit("org.sparkquant.job.cli.SparkQuantCli", args.toArray(String[]::new));
    assertEquals(0, r.exitCode(), r.output());
    assertTrue(r.output().contains("calibrated "), r.output());
    assertFalse(r.output().contains("INFO SparkContext"), "Spark's INFO logging under spark-submit: " + r.output());
    JsonNode report = new ObjectMapper().readTree(output.resolve("report.json").toFile());
    assertTrue(report.get("provenance").get("spark_application_id").asText().startsWith("app-"),
        "not a standalone application: " + report.get("provenance"));
    assertArrayEquals(CalibrateRuns.referenceModel(), CalibrateRuns.model("standalone"));
    try (OrtReference ort = new OrtReference(output.resolve("model.onnx"), 1)) {
      long[] shape = {1, 4};
      Map<String, OrtReference.Input> feed = Map.of(
          "input_ids", new OrtReference.Input(new long[] {101, 7592, 2088, 102}, shape),
          "attention_mask", new OrtReference.Input(new long[] {1, 1, 1, 1}, shape),
          "token_type_ids", new OrtReference.Input(new long[4], shape));
      float[] embedding = ort.run(feed, List.of("output_0")).get("output_0");
      assertEquals(4 * 384, embedding.length);
      for (float v : embedding) {
        assertTrue(Float.isFinite(v));
      }
    }
  }
}
