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

/** {@code gptq} on embedded local masters, with the real MiniLM model and tokenizer. */
class GptqCommandTest {
  static Cli.Result gptq(Path out, String master, int partitions, String... extra) {
    List<String> args = new java.util.ArrayList<>(List.of("gptq",
        "--model", TestModels.path(TestModels.MINILM).toString(),
        "--tokenizer", TestModels.path(TestModels.MINILM_TOKENIZER).toString(),
        "--data", CalibrateCommandTest.SENTENCES.toString(), "--max-samples", "40", "--batch-size", "8",
        "--master", master, "--partitions", Integer.toString(partitions), "--output", out.toString()));
    args.addAll(List.of(extra));
    return Cli.run(args.toArray(String[]::new));
  }

  @Test
  void miniLmW4g32OnLocalMastersGivesBitwiseIdenticalModelsForAnyPartitioning(@TempDir Path dir) throws Exception {
    Cli.Result one = gptq(dir.resolve("one"), "local[1]", 1);
    assertEquals(0, one.code(), one.err());
    // three partitions, two checkpoints of the boundaries on the way
    Cli.Result three = gptq(dir.resolve("three"), "local[2]", 3, "--conf", "spark.sparkquant.gptq.checkpointEvery=10");
    assertEquals(0, three.code(), three.err());
    assertArrayEquals(Files.readAllBytes(dir.resolve("one/model.onnx")),
        Files.readAllBytes(dir.resolve("three/model.onnx")));
    assertTrue(Files.exists(dir.resolve("three/_SUCCESS")));
    assertTrue(three.out().contains("gptq: group 25/25"), three.out());
    JsonNode report = new ObjectMapper().readTree(dir.resolve("three/report.json").toFile());
    assertEquals("gptq", report.get("command").asText());
    assertEquals(3, report.get("totals").get("partitions").asLong());
    assertEquals(37, report.get("totals").get("gptq_layers").asInt());
    JsonNode first = report.get("layers").get(0);
    assertEquals("gptq", first.get("method").asText());
    assertEquals(0.01, first.get("damping").asDouble());
    assertTrue(first.get("loss").asDouble() > 0 && first.get("solve_seconds").asDouble() > 0, first.toString());
    long realTokens = first.get("hessian_rows").asLong();
    assertTrue(realTokens > 40 && realTokens < 40 * 128, "real tokens only: " + realTokens);
    Graph g = new OnnxModelReader().read(dir.resolve("three/model.onnx"));
    assertEquals("w4g32", g.metadata().get("sparkquant.preset"));
    assertEquals(0, g.nodes().stream().filter(n -> n.opType().equals("QuantizeLinear")).count());
  }

  @Test
  void badOptionsFailWithOneLineAndWriteNothing(@TempDir Path dir) {
    Path out = dir.resolve("out");
    Cli.Result r = gptq(out, "local[1]", 1, "--act-order");
    assertEquals(SparkQuantCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("--static-groups"), r.err());
    r = gptq(out, "local[1]", 1, "--damp", "-1");
    assertEquals(SparkQuantCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("damp"), r.err());
    r = gptq(out, "local[1]", 1, "--block-size", "0");
    assertEquals(SparkQuantCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("--block-size"), r.err());
    r = gptq(out, "local[1]", 1, "--preset", "w5");
    assertEquals(SparkQuantCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("--preset"), r.err());
    assertFalse(Files.exists(out));
  }
}
