package org.sparkquant.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.graph.Graph;

/** The executor reproduces ONNX Runtime on real models and real inputs. */
class ModelParityTest {

  /** Runs our executor on the same inputs and returns outputs as flat floats. */
  static Map<String, float[]> runOurs(Path model, Map<String, OrtReference.Input> inputs) {
    Graph graph = new OnnxModelReader().read(model);
    try (DjlExecutor exec = new DjlExecutor(graph);
        NDManager m = NDManager.newBaseManager()) {
      NDList out = exec.run(m, OrtReference.Input.toArrays(inputs, m));
      Map<String, float[]> result = new HashMap<>();
      for (int i = 0; i < out.size(); i++) {
        result.put(graph.outputs().get(i).name(), out.get(i).toFloatArray());
      }
      return result;
    }
  }

  /** Runs {@code model} in ONNX Runtime (2 threads) and in our executor; returns {reference, ours} for {@code output}. */
  static float[][] bothEngines(Path model, Map<String, OrtReference.Input> inputs, String output) throws Exception {
    float[] ref;
    try (OrtReference ort = new OrtReference(model, 2)) {
      ref = ort.run(inputs, List.of(output)).get(output);
    }
    return new float[][] {ref, runOurs(model, inputs).get(output)};
  }

  static double maxAbsDiff(float[] a, float[] b) {
    assertEquals(a.length, b.length, "output sizes differ");
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
    }
    return d;
  }

  static double maxAbs(float[] a) {
    double m = 0;
    for (float v : a) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  @Test
  void miniLmLastHiddenStateMatchesOnnxRuntime() throws Exception {
    Path model = TestModels.path(TestModels.MINILM);
    Map<String, OrtReference.Input> inputs = MiniLmInputs.tokenize(MiniLmInputs.sentences());
    assertEquals(32, inputs.get("input_ids").shape()[0]);
    float[][] both = bothEngines(model, inputs, "output_0");
    double rel = maxAbsDiff(both[1], both[0]) / maxAbs(both[0]);
    System.out.printf("MiniLM last hidden state: max relative diff %.3g%n", rel);
    assertTrue(rel <= 5e-5, "max relative diff " + rel);
  }

  @Test
  void paddleOcrClassifierProbabilitiesMatchOnnxRuntime() throws Exception {
    Path model = TestModels.path(TestModels.OCR_CLS);
    Map<String, OrtReference.Input> inputs = Map.of("x", TextLines.batch(16, 192, 0, i -> i % 3 == 0));
    String out = "save_infer_model/scale_0.tmp_1";
    float[][] both = bothEngines(model, inputs, out);
    float[] ref = both[0];
    float[] ours = both[1];
    double diff = maxAbsDiff(ours, ref);
    System.out.printf("PaddleOCR cls probabilities: max abs diff %.3g%n", diff);
    assertTrue(diff <= 1e-4, "max abs diff " + diff);
  }

  @Test
  void paddleOcrDetectorMatchesOnnxRuntime() throws Exception {
    Path model = TestModels.path(TestModels.OCR_DET);
    Map<String, OrtReference.Input> inputs =
        Map.of("x", new OrtReference.Input(TextLines.page(320, 320), new long[] {1, 3, 320, 320}));
    String out = "sigmoid_0.tmp_0";
    float[][] both = bothEngines(model, inputs, out);
    float[] ref = both[0];
    float[] ours = both[1];
    double rel = maxAbsDiff(ours, ref) / maxAbs(ref);
    System.out.printf("PaddleOCR det v4: max relative diff %.3g%n", rel);
    assertTrue(maxAbs(ref) > 0.1, "the detector should respond to the rendered text");
    assertTrue(rel <= 1e-3, "max relative diff " + rel);
  }

  @Test
  void paddleOcrRecognizerMatchesOnnxRuntime() throws Exception {
    Path model = TestModels.path(TestModels.OCR_REC);
    Map<String, OrtReference.Input> inputs = Map.of("x", TextLines.batch(4, 320, 4, i -> false));
    String out = "softmax_11.tmp_0";
    float[][] both = bothEngines(model, inputs, out);
    float[] ref = both[0];
    float[] ours = both[1];
    double rel = maxAbsDiff(ours, ref) / maxAbs(ref);
    System.out.printf("PaddleOCR rec v4: max relative diff %.3g%n", rel);
    assertTrue(rel <= 1e-3, "max relative diff " + rel);
  }
}
