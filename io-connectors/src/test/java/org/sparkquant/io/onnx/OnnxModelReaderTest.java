package org.sparkquant.io.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.exec.OpRegistry;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.ModelFormatException;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;

class OnnxModelReaderTest {

  @ParameterizedTest
  @EnumSource(BadModels.class)
  void badModelsGiveOneLineErrorsNamingTheFileAndTheProblem(BadModels bad, @TempDir Path dir) throws Exception {
    Path model = bad.create(dir);
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> new OnnxModelReader().read(model));
    assertTrue(e.getMessage().contains(model.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(bad.expected), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void externalDataInsideTheModelDirectoryLoads(@TempDir Path dir) throws Exception {
    Graph inline = BadModels.tinyGraph();
    Tensor w = inline.constants().get("w");
    byte[] bytes = new byte[512 + 1024];
    w.data().get(bytes, 512, 1024);
    Files.createDirectories(dir.resolve("data"));
    Files.write(dir.resolve("data/weights.bin"), bytes);
    Path model = dir.resolve("model.onnx");
    Files.write(model, BadModels.external(BadModels.tinyProto(), "data/weights.bin", 512).toByteArray());
    Graph read = new OnnxModelReader().read(model);
    assertArrayEquals(w.floats(), read.constants().get("w").floats());
  }

  @Test
  void shapeChainsOnStaticShapesAreFoldedToConstants() {
    Graph g =
        Graph.builder()
            .opset("", 13)
            .addInput(new ValueInfo("x", DataType.FLOAT, List.of(Dim.of(2), Dim.of(3), Dim.of(4))))
            .addConstant("idx", Tensor.ofLongs(new long[0], 1))
            .addConstant("axes", Tensor.ofLongs(new long[] {1}, 0))
            .addConstant("minus1", Tensor.ofLongs(new long[] {1}, -1))
            .addNode(Node.of("shape", "Shape", List.of("x"), List.of("s")))
            .addNode(Node.of("gather", "Gather", List.of("s", "idx"), List.of("d"), Attribute.of("axis", 0L)))
            .addNode(Node.of("unsq", "Unsqueeze", List.of("d", "axes"), List.of("du")))
            .addNode(Node.of("concat", "Concat", List.of("minus1", "du"), List.of("target"), Attribute.of("axis", 0L)))
            .addNode(Node.of("reshape", "Reshape", List.of("x", "target"), List.of("y")))
            .addOutput(new ValueInfo("y", DataType.FLOAT, null))
            .build();
    Graph folded = new org.sparkquant.core.passes.ConstantFolding(OpRegistry.standard()).apply(g);
    assertEquals(List.of("reshape"), folded.nodes().stream().map(Node::name).toList());
    assertArrayEquals(new long[] {-1, 3}, folded.constants().get("target").longs());
    assertEquals(List.of("target"), List.copyOf(folded.constants().keySet()));
  }

  @Test
  void nodesWithoutNamesGetStableUniqueNames(@TempDir Path dir) throws Exception {
    var proto = BadModels.tinyProto();
    var g = proto.getGraph().toBuilder();
    g.setNode(0, g.getNode(0).toBuilder().clearName());
    g.setNode(1, g.getNode(1).toBuilder().clearName());
    Path model = dir.resolve("m.onnx");
    Files.write(model, proto.toBuilder().setGraph(g).build().toByteArray());
    Graph read = new OnnxModelReader().read(model);
    assertEquals(List.of("MatMul_1", "Relu_1"), read.nodes().stream().map(Node::name).toList());
  }

  @Test
  void writingTheIrBackGivesAModelOnnxRuntimeRunsIdentically(@TempDir Path dir) throws Exception {
    Path original = TestModels.path(TestModels.MINILM);
    Graph graph = new OnnxModelReader(OpRegistry.standard(), false).read(original);
    Path written = dir.resolve("minilm.onnx");
    new OnnxModelWriter().write(graph, written);
    Map<String, OrtReference.Input> inputs = MiniLmInputs.tokenize(MiniLmInputs.sentences().subList(0, 8));
    float[] a;
    float[] b;
    try (OrtReference ort = new OrtReference(original, 2)) {
      a = ort.run(inputs, List.of("output_0")).get("output_0");
    }
    try (OrtReference ort = new OrtReference(written, 2)) {
      b = ort.run(inputs, List.of("output_0")).get("output_0");
    }
    assertArrayEquals(a, b);
  }

  @Test
  void foldedModelStillRunsInOnnxRuntimeAndInTheExecutor(@TempDir Path dir) throws Exception {
    Path original = TestModels.path(TestModels.OCR_CLS);
    Graph folded = new OnnxModelReader().read(original);
    Path written = dir.resolve("cls.onnx");
    new OnnxModelWriter().write(folded, written);
    float[] x = new float[2 * 3 * 48 * 192];
    TextLines.toTensor(TextLines.render("folded model", false, 0), 48, 192, x, 0);
    TextLines.toTensor(TextLines.render("folded model", true, 1), 48, 192, x, 1);
    Map<String, OrtReference.Input> in = Map.of("x", new OrtReference.Input(x, new long[] {2, 3, 48, 192}));
    String out = "save_infer_model/scale_0.tmp_1";
    float[] ref;
    float[] rewritten;
    try (OrtReference ort = new OrtReference(original, 2)) {
      ref = ort.run(in, List.of(out)).get(out);
    }
    try (OrtReference ort = new OrtReference(written, 2)) {
      rewritten = ort.run(in, List.of(out)).get(out);
    }
    assertTrue(ModelParityTest.maxAbsDiff(ref, rewritten) <= 1e-6);
    try (DjlExecutor exec = new DjlExecutor(new OnnxModelReader().read(written));
        NDManager m = NDManager.newBaseManager()) {
      float[] ours = exec.run(m, Map.of("x", m.create(x, new Shape(2, 3, 48, 192)))).get(0).toFloatArray();
      assertTrue(ModelParityTest.maxAbsDiff(ref, ours) <= 1e-4);
    }
  }
}
