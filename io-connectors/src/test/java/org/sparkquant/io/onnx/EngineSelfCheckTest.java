package org.sparkquant.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.exec.check.KernelSelfCheck;
import org.sparkquant.core.graph.Graph;

/**
 * The engine self-check on the real models at the sizes jobs run them (two samples per batch): every heavy-kernel
 * configuration agrees with the plain-Java reference on this machine's CPU, and what it costs is printed.
 */
class EngineSelfCheckTest {

  private static KernelSelfCheck.Result check(String model, Map<String, long[]> shapes) {
    Graph graph = new OnnxModelReader().read(TestModels.path(model));
    KernelSelfCheck.Result r = KernelSelfCheck.verify(graph, shapes);
    System.out.println(model + ": " + r.summary());
    assertEquals(r.configurations(), r.checked(), "nothing of this model was checked before in this JVM");
    return r;
  }

  @Test
  void miniLmAtItsLongestSequencesPassesTheSelfCheck() {
    KernelSelfCheck.Result r = check(TestModels.MINILM, Map.of(
        "input_ids", new long[] {2, 128}, "attention_mask", new long[] {2, 128}, "token_type_ids", new long[] {2, 128}));
    assertTrue(r.configurations() >= 5, "projections, feed-forward and attention products: " + r.configurations());
  }

  @Test
  void paddleOcrModelsAtTheirImageSizesPassTheSelfCheck() {
    KernelSelfCheck.Result det = check(TestModels.OCR_DET, Map.of("x", new long[] {2, 3, 320, 320}));
    KernelSelfCheck.Result rec = check(TestModels.OCR_REC, Map.of("x", new long[] {2, 3, 48, 320}));
    KernelSelfCheck.Result cls = check(TestModels.OCR_CLS, Map.of("x", new long[] {2, 3, 48, 192}));
    assertTrue(det.configurations() > 20 && rec.configurations() > 20 && cls.configurations() > 10,
        det.configurations() + " " + rec.configurations() + " " + cls.configurations());
  }
}
