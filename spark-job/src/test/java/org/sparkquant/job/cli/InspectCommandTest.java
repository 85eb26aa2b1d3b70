package org.sparkquant.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparkquant.io.onnx.BadModels;
import org.sparkquant.io.onnx.OnnxModelWriter;

class InspectCommandTest {

  private static Cli.Result run(String... args) {
    return Cli.run(args);
  }

  @Test
  void inspectListsEveryNodeWithShapesAndASummary(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("tiny.onnx");
    new OnnxModelWriter().write(BadModels.tinyGraph(), model);
    Cli.Result r = run("inspect", "--model", model.toString(), "--input-shape", "x=4x16");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+mm\\s+MatMul\\s+\\[4,16\\] \\[16,16\\] -> \\[4,16\\]")),
        r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+act\\s+Relu\\s+\\[4,16\\] -> \\[4,16\\]")), r.out());
    assertTrue(r.out().contains("summary  2 nodes, 1 constants, 256 parameters, default opset 17"), r.out());
    assertTrue(r.out().contains("ops      MatMul 1, Relu 1"), r.out());
  }

  @Test
  void inspectWithoutTrialRunShowsDeclaredShapes(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("tiny.onnx");
    new OnnxModelWriter().write(BadModels.tinyGraph(), model);
    Cli.Result r = run("inspect", "--model", model.toString(), "--no-shapes");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("[batch,16] [16,16] -> ?"), r.out());
    assertTrue(r.out().contains("-> [batch,16]"), r.out());
  }

  @ParameterizedTest
  @EnumSource(BadModels.class)
  void badModelsExitWithOneLineAndCode1(BadModels bad, @TempDir Path dir) throws Exception {
    Path model = bad.create(dir);
    Cli.Result r = run("inspect", "--model", model.toString());
    assertEquals(SparkQuantCli.EXIT_BAD_INPUT, r.code());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("error: model file '" + model + "'"), r.err());
    assertTrue(r.err().contains(bad.expected), r.err());
    assertEquals("", r.out());
  }

  @Test
  void graphModeListsTheModelWithBatchNormFolded() {
    String model = org.sparkquant.io.onnx.TestModels.path(org.sparkquant.io.onnx.TestModels.OCR_CLS).toString();
    Cli.Result eager = run("inspect", "--model", model, "--no-shapes");
    Cli.Result graph = run("inspect", "--model", model, "--no-shapes", "--mode", "graph");
    assertEquals(0, eager.code(), eager.err());
    assertEquals(0, graph.code(), graph.err());
    assertTrue(eager.out().contains("BatchNormalization 35"), eager.out());
    assertFalse(graph.out().contains("BatchNormalization"), graph.out());
    assertTrue(graph.out().contains("Conv 53"), graph.out());
    assertFalse(eager.out().contains("fusion blocks"), eager.out());
  }

  @Test
  void graphModeListsTheFusionBlocksWithPatternAndNodes(@TempDir Path dir) throws Exception {
    Path tiny = dir.resolve("tiny.onnx");
    new OnnxModelWriter().write(BadModels.tinyGraph(), tiny);
    Cli.Result r = run("inspect", "--model", tiny.toString(), "--no-shapes", "--mode", "graph");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("blocks   1 fusion blocks: weighted-relu 1"), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+weighted-relu\\s+mm, act \\(MatMul\\+Relu\\)")), r.out());

    String cls = org.sparkquant.io.onnx.TestModels.path(org.sparkquant.io.onnx.TestModels.OCR_CLS).toString();
    Cli.Result graph = run("inspect", "--model", cls, "--no-shapes", "--mode", "graph");
    assertEquals(0, graph.code(), graph.err());
    assertTrue(graph.out().contains("blocks   54 fusion blocks: weighted 12, weighted-hardsigmoid 9, "
        + "weighted-hardswish-clip 18, weighted-relu 15"), graph.out());
    assertTrue(graph.out().lines().anyMatch(l -> l.matches(
        "\\s+weighted-hardswish-clip\\s+Conv@0, Add@0, Clip@0, Mul@0, Div@0 \\(Conv\\+Add\\+Clip\\+Mul\\+Div\\)")),
        graph.out());
  }

  @Test
  void verboseAddsTheStackTrace(@TempDir Path dir) throws Exception {
    Path model = BadModels.CYCLE.create(dir);
    Cli.Result r = run("inspect", "--model", model.toString(), "--verbose");
    assertEquals(1, r.code());
    assertTrue(r.err().lines().count() > 3, r.err());
    assertTrue(r.err().contains("\tat org.sparkquant"), r.err());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "frobnicate", "inspect", "inspect --model", "inspect --modle x.onnx",
      "inspect --model m.onnx --input-shape x=1xA", "inspect --model m.onnx --input-shape x"})
  void usageErrorsExitWithCode2(String line, @TempDir Path dir) throws Exception {
    Path model = dir.resolve("m.onnx");
    new OnnxModelWriter().write(BadModels.tinyGraph(), model);
    String[] args = line.isEmpty() ? new String[0] : line.replace("m.onnx", model.toString()).split(" ");
    Cli.Result r = run(args);
    assertEquals(SparkQuantCli.EXIT_USAGE, r.code(), r.out() + r.err());
    assertTrue(r.err().startsWith("error: "), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
  }

  @ParameterizedTest
  @ValueSource(strings = {"--help", "inspect --help", "help inspect"})
  void everyCommandHasHelp(String line) {
    Cli.Result r = run(line.split(" "));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("Usage: sparkquant"), r.out());
  }

  @Test
  void inputShapeForUnknownInputNamesTheInputs(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("m.onnx");
    new OnnxModelWriter().write(BadModels.tinyGraph(), model);
    Cli.Result r = run("inspect", "--model", model.toString(), "--input-shape", "y=1x16");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("'y' is not an input of the model; inputs are [x]"), r.err());
    assertTrue(Files.exists(model));
  }
}
