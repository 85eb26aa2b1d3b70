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
}
