package org.sparkquant.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.passes.BatchNormFolding;

/** BatchNorm folding on the real PaddleOCR classifier: no BatchNormalization left, same predictions. */
class BatchNormFoldingModelTest {

  @Test
  void paddleOcrClassifierWithoutBatchNormGivesTheSameProbabilities(@TempDir Path dir) throws Exception {
    Path model = TestModels.path(TestModels.OCR_CLS);
    Graph graph = new OnnxModelReader().read(model);
    Graph folded = new BatchNormFolding().apply(graph);
    long before = graph.nodes().stream().filter(n -> n.opType().equals("BatchNormalization")).count();
    long after = folded.nodes().stream().filter(n -> n.opType().equals("BatchNormalization")).count();
    assertEquals(35, before);
    assertEquals(0, after);
    Path written = dir.resolve("cls-folded.onnx");
    new OnnxModelWriter().write(folded, written);

    Map<String, OrtReference.Input> in = Map.of("x", TextLines.batch(8, 192, 0, i -> i % 2 == 0));
    String out = "save_infer_model/scale_0.tmp_1";
    float[] original;
    float[] foldedOrt;
    try (OrtReference ort = new OrtReference(model, 2)) {
      original = ort.run(in, List.of(out)).get(out);
    }
    try (OrtReference ort = new OrtReference(written, 2)) {
      foldedOrt = ort.run(in, List.of(out)).get(out);
    }
    float[] ours = ModelParityTest.runOurs(written, in).get(out);
    assertTrue(ModelParityTest.maxAbsDiff(original, foldedOrt) <= 1e-4, "ONNX Runtime on the folded model");
    assertTrue(ModelParityTest.maxAbsDiff(original, ours) <= 1e-4, "our executor on the folded model");
  }
}
