package org.sparkquant.job.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.job.cli.SparkQuantCli;

/**
 * {@code spark-submit --deploy-mode cluster} on a standalone cluster: the driver runs on a worker, so model, data and
 * output live on HDFS (a real NameNode and DataNode on loopback), not on the submitting machine's disk.
 */
class ClusterDeployModeIT {
  private static final int BASE_PORT = 47270;
  @TempDir static Path base;
  private static StandaloneCluster cluster;
  private static TestHdfs hdfs;

  @BeforeAll
  static void start() throws Exception {
    hdfs = TestHdfs.start(base);
    // Three one-core workers: one runs the driver, two run executors.
    cluster = StandaloneCluster.start(Path.of(LocalCluster.requiredEnv("SPARK_HOME")),
        Path.of("target", "it-logs", "cluster-mode"), BASE_PORT, 3);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
    if (hdfs != null) {
      hdfs.close();
    }
  }

  @Test
  void calibrateWithTheDriverOnAWorkerReadsAndWritesHdfsTheModelOfALocalRun() throws Exception {
    String root = hdfs.root();
    List<String> args = List.of("calibrate", "--model", root + "/models/minilm/model.onnx",
        "--tokenizer", root + "/models/minilm/tokenizer.json", "--data", root + "/data/sentences",
        "--max-samples", "32", "--batch-size", "8", "--partitions", "4");
    List<String> submitted = new ArrayList<>(args);
    submitted.addAll(List.of("--output", root + "/out/w8a8"));
    StandaloneCluster.Result r = cluster.submitInClusterMode(List.of(), "org.sparkquant.job.cli.SparkQuantCli",
        submitted.toArray(String[]::new));
    assertEquals(0, r.exitCode(), r.output());
    assertTrue(r.output().contains("calibrated "), r.output());
    assertTrue(hdfs.exists("/out/w8a8/_SUCCESS"), r.output());
    JsonNode report = new ObjectMapper().readTree(hdfs.read("/out/w8a8/report.json"));
    assertEquals(32, report.get("totals").get("samples").asInt());
    assertTrue(report.get("provenance").get("spark_application_id").asText().startsWith("app-"),
        report.get("provenance").toString());

    List<String> local = new ArrayList<>(args);
    local.addAll(List.of("--output", root + "/out/local", "--master", "local[1]"));
    StringWriter out = new StringWriter();
    assertEquals(0, SparkQuantCli.execute(local.toArray(String[]::new), new PrintWriter(out), new PrintWriter(out)),
        out.toString());
    assertArrayEquals(hdfs.read("/out/local/model.onnx"), hdfs.read("/out/w8a8/model.onnx"),
        "the cluster-mode driver writes the model of a local run");
  }
}
