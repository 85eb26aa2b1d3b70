package org.sparkquant.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.io.onnx.TestModels;

/**
 * Accuracy of {@code calibrate} with the example configs, judged by ONNX Runtime (default session options, all graph
 * optimizations, so the QDQ pairs run as integer kernels) on data the calibration did not see.
 */
class CalibrationAccuracyTest {
  static final Path EXAMPLES = Path.of("..", "conf", "examples");

  @Test
  void miniLmW8a8CalibratedOn512SentencesKeepsHeldOutEmbeddingsAndNeighbours(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("w8a8");
    Cli.Result r = Cli.run("calibrate", "--model", TestModels.path(TestModels.MINILM).toString(),
        "--tokenizer", TestModels.path(TestModels.MINILM_TOKENIZER).toString(),
        "--data", AccuracyJudge.CALIBRATION_SENTENCES.toString(), "--data-format", "text",
        "--config", EXAMPLES.resolve("minilm.yaml").toString(), "--max-samples", "512",
        "--master", "local[2]", "--output", out.toString());
    assertEquals(0, r.code(), r.err());
    Path quantized = out.resolve("model.onnx");
    List<String> held = AccuracyJudge.sentences(AccuracyJudge.HELD_OUT_SENTENCES);
    float[][] fp32 = AccuracyJudge.embeddings(TestModels.path(TestModels.MINILM), held, 2);
    float[][] w8a8 = AccuracyJudge.embeddings(quantized, held, 2);
    double cosine = AccuracyJudge.meanCosine(w8a8, fp32);
    double neighbours = AccuracyJudge.neighbourAgreement(w8a8, fp32);
    long quantizers = AccuracyJudge.quantizers(quantized);
    System.out.printf("MiniLM w8a8 on %d held-out sentences: mean cosine %.5f, nearest-neighbour agreement %.3f,"
        + " %d activation quantizers%n", held.size(), cosine, neighbours, quantizers);
    assertTrue(cosine >= 0.990, "mean cosine vs FP32 " + cosine);
    assertTrue(neighbours >= 0.82, "nearest-neighbour agreement " + neighbours);
    assertTrue(quantizers >= 30, quantizers + " activation quantizers");
  }

  @Test
  void ocrClassifierW8a8CalibratedOn300LinesStaysWithinHalfAPoint(@TempDir Path dir) throws Exception {
    Path lines = AccuracyJudge.Lines.render(300, 7).writePng(dir.resolve("lines"));
    Path out = dir.resolve("w8a8");
    Cli.Result r = Cli.run("calibrate", "--model", TestModels.path(TestModels.OCR_CLS).toString(),
        "--data", lines.toString(), "--data-format", "images",
        "--config", EXAMPLES.resolve("ppocr-cls.yaml").toString(), "--master", "local[2]",
        "--output", out.toString());
    assertEquals(0, r.code(), r.err());
    Path quantized = out.resolve("model.onnx");
    AccuracyJudge.Lines test = AccuracyJudge.Lines.render(1000, 1234);
    boolean[] fp32 = AccuracyJudge.predictions(TestModels.path(TestModels.OCR_CLS), test, 2);
    boolean[] w8a8 = AccuracyJudge.predictions(quantized, test, 2);
    double fp32Accuracy = AccuracyJudge.percentEqual(fp32, test.rotated());
    double accuracy = AccuracyJudge.percentEqual(w8a8, test.rotated());
    double agreement = AccuracyJudge.percentEqual(w8a8, fp32);
    long quantizers = AccuracyJudge.quantizers(quantized);
    System.out.printf("PaddleOCR cls on %d other rendered lines: FP32 %.2f%%, w8a8 %.2f%%, agreement %.2f%%,"
        + " %d activation quantizers%n", fp32.length, fp32Accuracy, accuracy, agreement, quantizers);
    assertTrue(fp32Accuracy > 90, "the classifier should handle rendered lines: " + fp32Accuracy);
    assertTrue(accuracy >= fp32Accuracy - 0.5, "w8a8 " + accuracy + " vs FP32 " + fp32Accuracy);
    assertTrue(agreement >= 99, "agreement with FP32 " + agreement);
    assertEquals(0, AccuracyJudge.count(quantized, "BatchNormalization"));
    assertTrue(quantizers >= 20, quantizers + " activation quantizers");
  }

  @Test
  void ocrDetectorW8a8CalibratedOn32PagesKeepsTheTextProbabilityMap(@TempDir Path dir) throws Exception {
    Path pages = AccuracyJudge.Pages.render(32, 11).writePng(dir.resolve("pages"));
    Path out = dir.resolve("w8a8");
    Cli.Result r = Cli.run("calibrate", "--model", TestModels.path(TestModels.OCR_DET).toString(),
        "--data", pages.toString(), "--data-format", "images", "--batch-size", "8",
        "--config", EXAMPLES.resolve("ppocr-det.yaml").toString(), "--master", "local[2]",
        "--output", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("engine self-check:"), r.out());
    AccuracyJudge.Pages test = AccuracyJudge.Pages.render(20, 4321);
    float[][] fp32 = AccuracyJudge.probabilityMaps(TestModels.path(TestModels.OCR_DET), test, 2);
    float[][] w8a8 = AccuracyJudge.probabilityMaps(out.resolve("model.onnx"), test, 2);
    double sum = 0;
    double worst = 1;
    double text = 0;
    for (int i = 0; i < fp32.length; i++) {
      double iou = AccuracyJudge.iou(w8a8[i], fp32[i], 0.3f);
      sum += iou;
      worst = Math.min(worst, iou);
      text += fraction(fp32[i], 0.3f);
    }
    double mean = sum / fp32.length;
    long quantizers = AccuracyJudge.quantizers(out.resolve("model.onnx"));
    System.out.printf("PaddleOCR det v4 w8a8 on %d other pages (320x320): probability-map IoU above 0.3 mean %.4f,"
        + " worst %.4f; FP32 text pixels %.2f%%; %d activation quantizers%n", fp32.length, mean, worst,
        100 * text / fp32.length, quantizers);
    assertTrue(text / fp32.length > 0.02, "the detector should find the rendered text");
    assertTrue(mean >= 0.85, "mean IoU " + mean);
    assertTrue(quantizers >= 50, quantizers + " activation quantizers");
  }

  private static double fraction(float[] map, float threshold) {
    long above = 0;
    for (float v : map) {
      above += v > threshold ? 1 : 0;
    }
    return (double) above / map.length;
  }
}
