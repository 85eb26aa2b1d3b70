package org.sparkquant.job.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.qat.QatCodec;
import org.sparkquant.core.qat.QatState;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.io.onnx.TestModels;

/** {@code qat} on the embedded {@code local[1]} master, with the real MiniLM model and tokenizer. */
class QatCommandTest {
  /** MiniLM w4g32 on 40 sentences (8 held out): steps of 8 in micro-batches of 4, checkpoints every step. */
  static Cli.Result qat(Path out, String... extra) {
    List<String> args = new ArrayList<>(List.of("qat",
        "--model", TestModels.path(TestModels.MINILM).toString(),
        "--tokenizer", TestModels.path(TestModels.MINILM_TOKENIZER).toString(),
        "--data", CalibrateCommandTest.SENTENCES.toString(), "--max-samples", "40", "--validation-fraction", "0.2",
        "--batch-size", "8", "--micro-batch-size", "4", "--checkpoint-every", "1", "--master", "local[1]",
        "--output", out.toString()));
    args.addAll(List.of(extra));
    return Cli.run(args.toArray(String[]::new));
  }

  /** The newest checkpoint's state in an output directory. */
  static QatState lastState(Path output) throws Exception {
    Path dir;
    try (var s = Files.list(output.resolve("checkpoints"))) {
      dir = s.filter(p -> p.getFileName().toString().startsWith("step-")).sorted().reduce((a, b) -> b).orElseThrow();
    }
    try (InputStream in = Files.newInputStream(dir.resolve("state.bin"))) {
      return QatCodec.readState(in);
    }
  }

  @Test
  void writesTheTrainedModelWithLossCurveValidationsAndCheckpoints(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    Cli.Result r = qat(out, "--epochs", "1");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("qat: validation after epoch 1"), r.out());
    assertTrue(Files.exists(out.resolve("_SUCCESS")));
    assertFalse(Files.exists(dir.resolve("out.checkpoints")), "checkpoints moved into the output");
    JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
    assertEquals("qat", report.get("command").asText());
    assertEquals(4, report.get("loss_curve").size(), report.toString());
    assertEquals(32, report.get("totals").get("training_samples").asLong());
    assertEquals(8, report.get("totals").get("validation_samples").asLong());
    JsonNode validation = report.get("validation");
    assertEquals(2, validation.size(), "at the start and after the epoch: " + validation);
    double before = validation.get(0).get("embedding_cosine").asDouble();
    double after = validation.get(1).get("embedding_cosine").asDouble();
    assertTrue(before > 0.9 && after > before, "validation cosine " + before + " then " + after);
    Graph g = new OnnxModelReader().read(out.resolve("model.onnx"));
    assertTrue(g.nodes().stream().filter(n -> n.opType().equals("DequantizeLinear")).count() >= 36);
    assertEquals("4", g.metadata().get("sparkquant.qat_steps"));
    assertEquals(4, lastState(out).step());
  }

  @Test
  void aRunStoppedMidwayAndResumedEndsWithTheBitsOfAnUninterruptedRun(@TempDir Path dir) throws Exception {
    Cli.Result straight = qat(dir.resolve("straight"), "--steps", "4");
    assertEquals(0, straight.code(), straight.out() + straight.err());
    Path out = dir.resolve("resumed");
    Cli.Result stopped = qat(out, "--steps", "4", "--conf", "spark.sparkquant.test.qatStopAfterStep=2");
    assertEquals(SparkQuantCli.EXIT_BAD_INPUT, stopped.code(), stopped.out());
    assertTrue(stopped.err().contains("stopped after step 2"), stopped.err());
    assertFalse(Files.exists(out), "nothing written before the end");
    assertTrue(Files.isDirectory(dir.resolve("resumed.checkpoints/step-00000002")));
    Cli.Result fresh = qat(out, "--steps", "4");
    assertEquals(SparkQuantCli.EXIT_BAD_INPUT, fresh.code());
    assertTrue(fresh.err().contains("--resume"), fresh.err());
    Cli.Result other = qat(out, "--steps", "4", "--lr", "3e-4", "--resume");
    assertEquals(SparkQuantCli.EXIT_BAD_INPUT, other.code());
    assertTrue(other.err().contains("other settings"), other.err());
    Cli.Result resumed = qat(out, "--steps", "4", "--resume");
    assertEquals(0, resumed.code(), resumed.out() + resumed.err());
    assertTrue(resumed.out().contains("resuming at step 2"), resumed.out());
    QatState a = lastState(dir.resolve("straight"));
    QatState b = lastState(out);
    assertTrue(a.sameBits(b), "max difference " + a.maxDifference(b));
    assertArrayEquals(Files.readAllBytes(dir.resolve("straight/model.onnx")), Files.readAllBytes(out.resolve(
        "model.onnx")));
    ObjectMapper json = new ObjectMapper();
    assertEquals(json.readTree(dir.resolve("straight/report.json").toFile()).get("loss_curve"),
        json.readTree(out.resolve("report.json").toFile()).get("loss_curve"));
  }

  @Test
  void badOptionsFailBeforeSparkStarts(@TempDir Path dir) {
    Path out = dir.resolve("out");
    Cli.Result r = qat(out, "--epochs", "2", "--steps", "3");
    assertEquals(SparkQuantCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("--epochs or --steps"), r.err());
    r = qat(out, "--loss", "ce");
    assertEquals(SparkQuantCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("needs labels"), r.err());
    r = qat(out, "--optimizer", "rmsprop");
    assertEquals(SparkQuantCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("sgd or adamw"), r.err());
    r = qat(out, "--preset", "fp8", "--learnable-scales");
    assertEquals(SparkQuantCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("integer types"), r.err());
    r = qat(out, "--resume");
    assertEquals(SparkQuantCli.EXIT_BAD_INPUT, r.code());
    assertTrue(r.err().contains("no checkpoint"), r.err());
    assertFalse(Files.exists(out));
  }
}
