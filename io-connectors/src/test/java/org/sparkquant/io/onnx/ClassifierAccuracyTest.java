package org.sparkquant.io.onnx;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import static org.junit.jupiter.api.Assertions.assertEquals;

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

  @Test
  void w8a8WithMinMaxRangesCalibratedOnOtherLinesStaysWithinTwoPoints(@TempDir Path dir) throws Exception {
    Path model = TestModels.path(TestModels.OCR_CLS);
    boolean[] rotated = new boolean[LINES];
    float[] x = lines(rotated);
    int size = 3 * 48 * 192;
    Random r = new Random(7);
    float[] calibration = new float[300 * size];
    for (int i = 0; i < 300; i++) {
      TextLines.toTensor(TextLines.render(WORDS[r.nextInt(WORDS.length)] + " " + WORDS[r.nextInt(WORDS.length)],
          r.nextBoolean(), r.nextInt(6)), 48, 192, calibration, i);
    }
    Graph exported;
    try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager();
        org.sparkquant.core.quantizer.PreparedModel p = new org.sparkquant.core.quantizer.Quantizer(
            new OnnxModelReader().read(model), QuantizerConfig.preset("w8a8"))
            .prepare(Map.of("x", m.create(java.util.Arrays.copyOf(calibration, 50 * size),
                new ai.djl.ndarray.types.Shape(50, 3, 48, 192))))) {
      try (var c = p.calibrationMode()) {
        for (int b = 50; b < 300; b += 50) {
          p.forward(Map.of("x", m.create(java.util.Arrays.copyOfRange(calibration, b * size, (b + 50) * size),
              new ai.djl.ndarray.types.Shape(50, 3, 48, 192)))).close();
        }
      }
      exported = p.finalize(org.sparkquant.core.export.Backend.ONNX_QDQ);
    }
    long quantizers = exported.nodes().stream().filter(n -> n.opType().equals("QuantizeLinear")).count();
    long bn = exported.nodes().stream().filter(n -> n.opType().equals("BatchNormalization")).count();
    Path file = dir.resolve("cls-w8a8.onnx");
    new OnnxModelWriter().write(exported, file);
    double fp32 = accuracy(model, x, rotated);
    double quantized = accuracy(file, x, rotated);
    System.out.printf("PaddleOCR cls w8a8 (300 calibration lines, %d activation quantizers): FP32 %.2f%%, w8a8 %.2f%%%n",
        quantizers, fp32, quantized);
    assertEquals(0, bn);
    assertTrue(quantizers >= 20, quantizers + " activation quantizers");
    // Plain min/max ranges; histogram observers and per-layer exceptions are what bring this within 0.5 point.
    assertTrue(quantized >= fp32 - 2, "w8a8 " + quantized + " vs FP32 " + fp32);
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
