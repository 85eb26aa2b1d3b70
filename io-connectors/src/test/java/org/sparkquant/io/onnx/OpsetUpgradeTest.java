package org.sparkquant.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.ValueInfo;
import org.sparkquant.core.passes.OpsetUpgrade;

/** Upgraded models compute what the originals did, in ONNX Runtime and in our executor. */
class OpsetUpgradeTest {
  @TempDir Path dir;

  /** Runs the original and the upgraded graph in ORT and the upgraded one in our executor; all must agree. */
  private void assertSameResults(Graph original, long target, Map<String, OrtReference.Input> in, String out)
      throws Exception {
    Graph upgraded = new OpsetUpgrade(target).apply(original);
    assertEquals(target, upgraded.defaultOpset());
    Path a = dir.resolve("original-" + System.nanoTime() + ".onnx");
    Path b = dir.resolve("upgraded-" + System.nanoTime() + ".onnx");
    new OnnxModelWriter().write(original, a);
    new OnnxModelWriter().write(upgraded, b);
    float[] want;
    float[] got;
    try (OrtReference ort = new OrtReference(a, 1)) {
      want = ort.run(in, List.of(out)).get(out);
    }
    try (OrtReference ort = new OrtReference(b, 1)) {
      got = ort.run(in, List.of(out)).get(out);
    }
    double scale = Math.max(1, ModelParityTest.maxAbs(want));
    assertTrue(ModelParityTest.maxAbsDiff(want, got) <= 1e-5 * scale,
        "ONNX Runtime, opset " + original.defaultOpset() + " -> " + target + ": " + ModelParityTest.maxAbsDiff(want, got));
    float[] ours = ModelParityTest.runOurs(b, in).get(out);
    assertTrue(ModelParityTest.maxAbsDiff(want, ours) <= 1e-4 * scale, "our executor on the upgraded model");
  }

  private static Map<String, OrtReference.Input> randomInput(String name, long... shape) {
    Random r = new Random(Arrays.hashCode(shape));
    float[] v = new float[(int) Arrays.stream(shape).reduce(1, (p, q) -> p * q)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian() * 2;
    }
    return Map.of(name, new OrtReference.Input(v, shape));
  }

  /** A list-of-ints attribute, also for a single value. */
  private static Attribute ints(String name, long... values) {
    return new Attribute(name, Attribute.Kind.INTS, values.clone());
  }

  private static Graph.Builder tiny(long opset, long... shape) {
    return Graph.builder().opset("", opset)
        .addInput(new ValueInfo("x", DataType.FLOAT, Arrays.stream(shape).mapToObj(Dim::of).toList()));
  }

  @Test
  void attributesThatBecameInputsKeepTheirMeaning() throws Exception {
    Graph g = tiny(7, 2, 1, 6, 5)
        .addNode(Node.of("sq", "Squeeze", List.of("x"), List.of("a"), ints("axes", 1L)))
        .addNode(Node.of("un", "Unsqueeze", List.of("a"), List.of("b"), Attribute.of("axes", 0L, 3L)))
        .addNode(Node.of("sl", "Slice", List.of("b"), List.of("c"), Attribute.of("starts", 1L, -4L),
            Attribute.of("ends", 2L, 100L), Attribute.of("axes", 1L, 4L)))
        .addNode(Node.of("clip", "Clip", List.of("c"), List.of("d"), Attribute.of("min", -1.5f),
            Attribute.of("max", 2f)))
        .addNode(Node.of("pad", "Pad", List.of("d"), List.of("e"), Attribute.of("pads", 0L, 0L, 1L, 0L, 2L,
            0L, 0L, 2L, 0L, 1L), Attribute.of("value", 0.5f)))
        .addNode(Node.of("mean", "ReduceMean", List.of("e"), List.of("f"), Attribute.of("axes", 2L, 1L)))
        .addNode(Node.of("split", "Split", List.of("f"), List.of("g", "h"), Attribute.of("axis", 4L),
            Attribute.of("split", 3L, 4L)))
        .addNode(Node.of("sum", "ReduceSum", List.of("h"), List.of("y"), ints("axes", 0L)))
        .addOutput(new ValueInfo("y", DataType.FLOAT, null))
        .build();
    for (long target : new long[] {13, 18, 21, 25}) {
      assertSameResults(g, target, randomInput("x", 2, 1, 6, 5), "y");
    }
  }

  @Test
  void softmaxOnANonLastAxisKeepsItsTwoDimensionalMeaning() throws Exception {
    for (long axis : new long[] {1, 2, -1}) {
      Graph g = tiny(11, 2, 3, 4, 5)
          .addNode(Node.of("sm", "Softmax", List.of("x"), List.of("s"), Attribute.of("axis", axis)))
          .addNode(Node.of("lsm", "LogSoftmax", List.of("s"), List.of("y"), Attribute.of("axis", axis)))
          .addOutput(new ValueInfo("y", DataType.FLOAT, null))
          .build();
      assertSameResults(g, 21, randomInput("x", 2, 3, 4, 5), "y");
    }
  }

  @Test
  void upsampleDropoutAndSplitWithoutSizesBecomeTheirSuccessors() throws Exception {
    Graph g = tiny(9, 1, 2, 3, 4)
        .addConstant("scales", org.sparkquant.core.graph.Tensor.ofFloats(new long[] {4}, 1f, 1f, 2f, 3f))
        .addNode(Node.of("up", "Upsample", List.of("x", "scales"), List.of("u"), Attribute.of("mode", "nearest")))
        .addNode(Node.of("drop", "Dropout", List.of("u"), List.of("d")))
        .addNode(Node.of("split", "Split", List.of("d"), List.of("a", "b"), Attribute.of("axis", 3L)))
        .addNode(Node.of("add", "Add", List.of("a", "b"), List.of("y")))
        .addOutput(new ValueInfo("y", DataType.FLOAT, null))
        .build();
    assertSameResults(g, 21, randomInput("x", 1, 2, 3, 4), "y");
  }

  @Test
  void realModelsUpgradedToInt4AndInt2OpsetsComputeTheSame() throws Exception {
    Graph minilm = new OnnxModelReader().read(TestModels.path(TestModels.MINILM));
    Map<String, OrtReference.Input> sentences = MiniLmInputs.tokenize(MiniLmInputs.sentences().subList(0, 4));
    assertSameResults(minilm, 21, sentences, "output_0");
    assertSameResults(minilm, 25, sentences, "output_0");

    float[] x = new float[2 * 3 * 48 * 192];
    TextLines.toTensor(TextLines.render("opset upgrade", false, 0), 48, 192, x, 0);
    TextLines.toTensor(TextLines.render("upside down", true, 1), 48, 192, x, 1);
    assertSameResults(new OnnxModelReader().read(TestModels.path(TestModels.OCR_CLS)), 21,
        Map.of("x", new OrtReference.Input(x, new long[] {2, 3, 48, 192})), "save_infer_model/scale_0.tmp_1");

    float[] line = new float[3 * 48 * 320];
    TextLines.toTensor(TextLines.render("recognize me", false, 2), 48, 320, line, 0);
    assertSameResults(new OnnxModelReader().read(TestModels.path(TestModels.OCR_REC)), 21,
        Map.of("x", new OrtReference.Input(line, new long[] {1, 3, 48, 320})), "softmax_11.tmp_0");

    assertSameResults(new OnnxModelReader().read(TestModels.path(TestModels.OCR_DET)), 21,
        Map.of("x", new OrtReference.Input(TextLines.page(160, 160), new long[] {1, 3, 160, 160})), "sigmoid_0.tmp_0");
  }
}
