package org.sparkquant.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.io.onnx.BadModels;
import org.sparkquant.io.onnx.MiniLmInputs;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.io.onnx.OrtReference;
import org.sparkquant.io.onnx.TestModels;

class QuantizeCommandTest {

  @Test
  void miniLmW8WritesAModelOnnxRuntimeRunsAReportAndTheSuccessMarker(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("w8");
    Cli.Result r = Cli.run("quantize", "--model", TestModels.path(TestModels.MINILM).toString(), "--preset", "w8",
        "--output", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("quantized 37 weights with w8"), r.out());
    assertTrue(Files.exists(out.resolve("_SUCCESS")));
    JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
    assertEquals(37, report.get("layers").size());
    assertTrue(report.get("totals").get("compression").asDouble() > 3.9);
    assertTrue(report.get("layers").get(0).get("sqnr_db").asDouble() > 35);
    Graph g = new OnnxModelReader().read(out.resolve("model.onnx"));
    assertEquals("w8", g.metadata().get("sparkquant.preset"));
    assertEquals(64, g.metadata().get("sparkquant.source_sha256").length());
    assertEquals(org.sparkquant.core.quantizer.QuantizerConfig.preset("w8"),
        org.sparkquant.io.config.QuantizerConfigFiles.parse(g.metadata().get("sparkquant.config"), "metadata"));
    var inputs = MiniLmInputs.tokenize(MiniLmInputs.sentences().subList(0, 2));
    try (OrtReference ort = new OrtReference(out.resolve("model.onnx"), 2)) {
      float[] y = ort.run(inputs, List.of("output_0")).get("output_0");
      assertEquals(2 * inputs.get("input_ids").shape()[1] * 384, y.length);
    }
  }

  @Test
  void matMulNBitsFlagStoresInt4MatMulsForOnnxRuntimesContribKernel(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("w4");
    Cli.Result r = Cli.run("quantize", "--model", TestModels.path(TestModels.MINILM).toString(), "--preset", "w4g32",
        "--matmul-nbits", "--output", out.toString());
    assertEquals(0, r.code(), r.err());
    Graph g = new OnnxModelReader().read(out.resolve("model.onnx"));
    assertEquals(36, g.nodes().stream().filter(n -> n.opType().equals("MatMulNBits")).count());
    assertEquals(1, g.nodes().stream().filter(n -> n.opType().equals("DequantizeLinear")).count(), "the pooler Gemm");
    var inputs = MiniLmInputs.tokenize(MiniLmInputs.sentences().subList(0, 2));
    try (OrtReference ort = new OrtReference(out.resolve("model.onnx"), 2)) {
      assertEquals(2 * inputs.get("input_ids").shape()[1] * 384, ort.run(inputs, List.of("output_0")).get("output_0")
          .length);
    }
  }

  @Test
  void graphModeFoldsBatchNormAndEagerModeKeepsIt(@TempDir Path dir) throws Exception {
    Path model = TestModels.path(TestModels.OCR_CLS);
    for (String mode : new String[] {"graph", "eager"}) {
      Path out = dir.resolve(mode);
      Cli.Result r = Cli.run("quantize", "--model", model.toString(), "--output", out.toString(), "--mode", mode);
      assertEquals(0, r.code(), r.err());
      Graph g = new OnnxModelReader().read(out.resolve("model.onnx"));
      long bn = g.nodes().stream().filter(n -> n.opType().equals("BatchNormalization")).count();
      assertEquals(mode.equals("graph"), bn == 0, mode + ": " + bn + " BatchNormalization nodes");
      try (OrtReference ort = new OrtReference(out.resolve("model.onnx"), 1)) {
        float[] x = new float[3 * 48 * 192];
        assertEquals(2, ort.run(java.util.Map.of("x", new OrtReference.Input(x, new long[] {1, 3, 48, 192})),
            List.of("save_infer_model/scale_0.tmp_1")).get("save_infer_model/scale_0.tmp_1").length);
      }
    }
  }

  @Test
  void anExistingOutputIsRefusedUnlessOverwriteIsGiven(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("tiny.onnx");
    new org.sparkquant.io.onnx.OnnxModelWriter().write(BadModels.tinyGraph(), model);
    Path out = Files.createDirectories(dir.resolve("out"));
    Files.writeString(out.resolve("keep.txt"), "user data");
    Cli.Result r = Cli.run("quantize", "--model", model.toString(), "--output", out.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("already exists; pass --overwrite"), r.err());
    assertTrue(Files.exists(out.resolve("keep.txt")));
    r = Cli.run("quantize", "--model", model.toString(), "--output", out.toString(), "--overwrite");
    assertEquals(0, r.code(), r.err());
    assertFalse(Files.exists(out.resolve("keep.txt")));
    assertTrue(Files.exists(out.resolve("_SUCCESS")));
    assertNoTemporaries(dir);
  }

  @Test
  void badModelsLeaveNothingAtTheOutputPath(@TempDir Path dir) throws Exception {
    for (BadModels bad : new BadModels[] {BadModels.TRUNCATED, BadModels.UNKNOWN_OP, BadModels.CYCLE}) {
      Path caseDir = Files.createDirectories(dir.resolve(bad.name()));
      Path out = caseDir.resolve("out");
      Cli.Result r = Cli.run("quantize", "--model", bad.create(caseDir).toString(), "--output", out.toString());
      assertEquals(1, r.code(), bad + ": " + r.err());
      assertTrue(r.err().contains(bad.expected), r.err());
      assertFalse(Files.exists(out), bad + " left output behind");
      assertNoTemporaries(caseDir);
    }
  }

  @Test
  void activationPresetsPointToCalibrateAndUnknownPresetsListTheValidOnes(@TempDir Path dir) {
    Cli.Result r = Cli.run("quantize", "--model", "m.onnx", "--preset", "w8a8", "--output", dir.resolve("o").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("use 'sparkquant calibrate'"), r.err());
    r = Cli.run("quantize", "--model", "m.onnx", "--preset", "w5", "--output", dir.resolve("o").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("unknown preset 'w5'") && r.err().contains("w4g32"), r.err());
  }

  @Test
  void configFilesApplyRulesRulesThatMatchNothingAreErrorsAndPresetFlagsWinOverTheFile(@TempDir Path dir)
      throws Exception {
    Path model = dir.resolve("tiny.onnx");
    new org.sparkquant.io.onnx.OnnxModelWriter().write(BadModels.tinyGraph(), model);
    Path skip = dir.resolve("skip.yaml");
    Files.writeString(skip, "version: 1\npreset: w4g32\nrules:\n  - {match: op_type, pattern: MatMul, action: skip}\n");
    Cli.Result r = Cli.run("quantize", "--model", model.toString(), "--config", skip.toString(), "--output",
        dir.resolve("a").toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("quantized 0 weights with w4g32"), r.out());
    Path none = dir.resolve("none.yaml");
    Files.writeString(none, "version: 1\npreset: w8\nrules:\n  - {match: regex, pattern: '/nope/.*', action: skip}\n");
    r = Cli.run("quantize", "--model", model.toString(), "--config", none.toString(), "--output",
        dir.resolve("b").toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("rule regex '/nope/.*' matches no node"), r.err());
    assertFalse(Files.exists(dir.resolve("b")));
    r = Cli.run("quantize", "--model", model.toString(), "--config", skip.toString(), "--preset", "w8", "--output",
        dir.resolve("c").toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("quantized 0 weights with w8"), "the flag's preset, the file's rules: " + r.out());
    assertTrue(Files.readString(dir.resolve("c/report.json")).contains("\"preset\" : \"w8\""));
  }

  private static void assertNoTemporaries(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().contains(".tmp-")), "temporary directory left");
    }
  }
}
