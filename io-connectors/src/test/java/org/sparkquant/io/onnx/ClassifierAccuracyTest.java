package org.sparkquant.io.onnx;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.quantizer.WeightQuantizer;

/**
 * The PaddleOCR text-direction classifier keeps its accuracy under w8: labels come from rendering each line upright
 * or turned 180°.
 */
class ClassifierAccuracyTest {
  private static final String OUT = "save_infer_model/scale_0.tmp_1";
  private static final String[] WORDS = {"invoice", "total", "2026", "Spark", "quantize", "model", "street", "42",
      "data", "hello", "receipt", "amount", "paid", "date", "name", "city", "order", "line", "text", "open"};

  static final int LINES = 1000;

  /** Rendered lines (NCHW, PaddleOCR preprocessing) and whether each is upside down. */
  static float[] lines(boolean[] rotated) {
    Random r = new Random(99);
    float[] x = new float[LINES * 3 * 48 * 192];
    for (int i = 0; i < LINES; i++) {
      StringBuilder text = new StringBuilder();
      for (int w = 0; w < 1 + r.nextInt(3); w++) {
        text.append(w > 0 ? " " : "").append(WORDS[r.nextInt(WORDS.length)]);
      }
      rotated[i] = r.nextBoolean();
      TextLines.toTensor(TextLines.render(text.toString(), rotated[i], r.nextInt(6)), 48, 192, x, i);
    }
    return x;
  }

  static double accuracy(Path model, float[] x, boolean[] rotated) throws Exception {
    int correct = 0;
    try (OrtReference ort = new OrtReference(model, 2)) {
      int batch = 50;
      int size = 3 * 48 * 192;
      for (int b = 0; b < LINES; b += batch) {
        float[] part = java.util.Arrays.copyOfRange(x, b * size, (b + batch) * size);
        float[] p = ort.run(Map.of("x", new OrtReference.Input(part, new long[] {batch, 3, 48, 192})), List.of(OUT))
            .get(OUT);
        for (int i = 0; i < batch; i++) {
          boolean predictedRotated = p[2 * i + 1] > p[2 * i];
          correct += predictedRotated == rotated[b + i] ? 1 : 0;
        }
      }
    }
    return 100.0 * correct / LINES;
  }

  @Test
  void w8KeepsTheClassifierWithinTwoTenthsOfAPoint(@TempDir Path dir) throws Exception {
    Path model = TestModels.path(TestModels.OCR_CLS);
    Graph q = WeightQuantizer.quantize(new OnnxModelReader().read(model), QuantizerConfig.preset("w8")).graph();
    Path w8 = dir.resolve("cls-w8.onnx");
    new OnnxModelWriter().write(q, w8);
    boolean[] rotated = new boolean[LINES];
    float[] x = lines(rotated);
    double fp32 = accuracy(model, x, rotated);
    double quantized = accuracy(w8, x, rotated);
    System.out.printf("PaddleOCR cls on %d rendered lines: FP32 %.2f%%, w8 %.2f%%%n", LINES, fp32, quantized);
    assertTrue(fp32 > 90, "the classifier should handle rendered lines: " + fp32);
    assertTrue(quantized >= fp32 - 0.2, "w8 " + quantized + " vs FP32 " + fp32);
  }
}
