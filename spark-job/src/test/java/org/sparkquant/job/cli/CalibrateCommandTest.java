package org.sparkquant.job.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.io.onnx.TestModels;

/** {@code calibrate} on embedded local masters, with the real MiniLM model and tokenizer. */
class CalibrateCommandTest {
  static final Path SENTENCES = Path.of("..", "data", "sentences", "calibration.txt");

  static Cli.Result calibrate(Path out, String master, int partitions, String... extra) {
    List<String> args = new java.util.ArrayList<>(List.of("calibrate",
        "--model", TestModels.path(TestModels.MINILM).toString(),
        "--tokenizer", TestModels.path(TestModels.MINILM_TOKENIZER).toString(),
        "--data", SENTENCES.toString(), "--data-format", "text", "--max-samples", "48", "--batch-size", "8",
        "--master", master, "--partitions", Integer.toString(partitions), "--output", out.toString()));
    args.addAll(List.of(extra));
    return Cli.run(args.toArray(String[]::new));
  }

  @Test
  void miniLmW8a8OnLocalMastersGivesBitwiseIdenticalModelsForAnyPartitioning(@TempDir Path dir) throws Exception {
    Cli.Result one = calibrate(dir.resolve("one"), "local[1]", 1);
    assertEquals(0, one.code(), one.err());
    Cli.Result three = calibrate(dir.resolve("three"), "local[2]", 3);
    assertEquals(0, three.code(), three.err());
    assertArrayEquals(Files.readAllBytes(dir.resolve("one/model.onnx")),
        Files.readAllBytes(dir.resolve("three/model.onnx")));
    assertTrue(Files.exists(dir.resolve("three/_SUCCESS")));
    JsonNode report = new ObjectMapper().readTree(dir.resolve("three/report.json").toFile());
    assertEquals(48, report.get("totals").get("samples").asLong());
    assertEquals(6, report.get("totals").get("batches").asLong());
    assertEquals(3, report.get("totals").get("partitions").asLong());
    assertTrue(report.get("layers").size() >= 30, report.toString());
    assertTrue(report.get("provenance").get("spark_application_id").asText().startsWith("local-"));
    Graph g = new OnnxModelReader().read(dir.resolve("three/model.onnx"));
    long q = g.nodes().stream().filter(n -> n.opType().equals("QuantizeLinear")).count();
    assertTrue(q >= 30, "activation quantizers: " + q);
    assertEquals("48", g.metadata().get("sparkquant.samples"));
  }

  @Test
  void badInputFailsWithOneLineAndWritesNothing(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    Cli.Result r = calibrate(out, "local[1]", 1, "--batch-size", "0");
    assertEquals(SparkQuantCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("--batch-size"), r.err());
    r = calibrate(out, "nonsense", 1);
    assertEquals(SparkQuantCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("--master"), r.err());
    r = calibrate(out, "local[1]", 1, "--conf", "task.cpus=2");
    assertEquals(SparkQuantCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("--conf: 'task.cpus' is not a Spark setting"), r.err());
    r = calibrate(out, "local[1]", 1, "--conf", "spark.task.cpus");
    assertEquals(SparkQuantCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("KEY=VALUE"), r.err());
    assertFalse(Files.exists(out));
  }
}
