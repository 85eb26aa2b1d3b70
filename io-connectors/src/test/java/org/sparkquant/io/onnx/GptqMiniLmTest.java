package org.sparkquant.io.onnx;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.core.export.Backend;
import org.sparkquant.core.gptq.GptqLayers;
import org.sparkquant.core.gptq.GptqOptions;
import org.sparkquant.core.gptq.GptqQuantizer;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.quantizer.PreparedModel;
import org.sparkquant.core.quantizer.Quantizer;
import org.sparkquant.core.quantizer.QuantizerConfig;

/**
 * Sequential GPTQ of MiniLM, exported and run by ONNX Runtime on held-out sentences: its embedding error (1 − mean
 * cosine of mean-pooled embeddings against FP32) is at most half of round to nearest's.
 *
 * <p>System properties {@code gptq.calibration} and {@code gptq.heldOut} (sentence counts, default 64 each),
 * {@code gptq.preset} (default {@code w4g32}) and {@code gptq.actOrder} (act-order with static groups) change the
 * measurement; the product's acceptance numbers use 256 calibration sentences and all 250 held-out ones.
 */
class GptqMiniLmTest {
  static final Path SENTENCES = Path.of("..", "data", "sentences");
  static final int BATCH = 32;
  @TempDir Path dir;

  static List<String> lines(String file, int count) throws Exception {
    List<String> all = Files.readAllLines(SENTENCES.resolve(file), StandardCharsets.UTF_8).stream()
        .filter(s -> !s.isBlank()).toList();
    return all.subList(0, Math.min(count, all.size()));
  }

  static List<Map<String, OrtReference.Input>> batches(List<String> sentences) throws Exception {
    List<Map<String, OrtReference.Input>> out = new ArrayList<>();
    for (int i = 0; i < sentences.size(); i += BATCH) {
      out.add(MiniLmInputs.tokenize(sentences.subList(i, Math.min(i + BATCH, sentences.size()))));
    }
    return out;
  }

  /** Mean cosine over all sentences of the model at {@code file} against {@code reference} outputs. */
  static double meanCosine(Path file, List<Map<String, OrtReference.Input>> feed, List<float[]> reference)
      throws Exception {
    double sum = 0;
    long n = 0;
    try (OrtReference ort = new OrtReference(file, 2)) {
      for (int k = 0; k < feed.size(); k++) {
        float[] out = ort.run(feed.get(k), List.of("output_0")).get("output_0");
        long b = feed.get(k).get("attention_mask").shape()[0];
        sum += QuantizedWeightsTest.meanCosine(out, reference.get(k), feed.get(k)) * b;
        n += b;
      }
    }
    return sum / n;
  }

  @Test
  void sequentialGptqHalvesTheEmbeddingErrorOfRoundToNearest() throws Exception {
    int calibrationCount = Integer.getInteger("gptq.calibration", 64);
    int heldOutCount = Integer.getInteger("gptq.heldOut", 64);
    String preset = System.getProperty("gptq.preset", "w4g32");
    boolean actOrder = Boolean.getBoolean("gptq.actOrder");
    Path fp32 = TestModels.path(TestModels.MINILM);
    Graph model = new OnnxModelReader().read(fp32);
    QuantizerConfig config = QuantizerConfig.preset(preset);
    List<Map<String, OrtReference.Input>> heldOut = batches(lines("held-out.txt", heldOutCount));
    List<float[]> reference = new ArrayList<>();
    try (OrtReference ort = new OrtReference(fp32, 2)) {
      for (Map<String, OrtReference.Input> b : heldOut) {
        reference.add(ort.run(b, List.of("output_0")).get("output_0"));
      }
    }

    Path rtnFile = dir.resolve("rtn.onnx");
    try (PreparedModel p = new Quantizer(model, config).prepare()) {
      new OnnxModelWriter().write(p.finalize(Backend.ONNX_QDQ), rtnFile);
    }
    double rtn = meanCosine(rtnFile, heldOut, reference);

    long start = System.nanoTime();
    Path gptqFile = dir.resolve("gptq.onnx");
    GptqQuantizer q;
    try (NDManager m = NDManager.newBaseManager()) {
      List<GptqQuantizer.Batch> calibration = new ArrayList<>();
      for (Map<String, OrtReference.Input> b : batches(lines("calibration.txt", calibrationCount))) {
        Map<String, NDArray> arrays = OrtReference.Input.toArrays(b, m);
        calibration.add(new GptqQuantizer.Batch(arrays, arrays.get("attention_mask")));
      }
      GptqOptions options = GptqOptions.defaults().withActOrder(actOrder).withStaticGroups(actOrder);
      q = GptqQuantizer.run(GptqLayers.of(model, config), options, calibration);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    try (PreparedModel p = new Quantizer(model, config).prepare(q.plan())) {
      new OnnxModelWriter().write(p.finalize(Backend.ONNX_QDQ), gptqFile);
    }
    double gptq = meanCosine(gptqFile, heldOut, reference);
    double solve = q.results().stream().mapToDouble(GptqQuantizer.LayerResult::seconds).sum();
    System.out.printf(
        "MiniLM %s%s, %d calibration / %d held-out sentences: mean cosine RTN %.5f, GPTQ %.5f (error ratio %.3f);"
            + " GPTQ %.1f s (%d groups, %d layers, solves %.1f s)%n",
        preset, actOrder ? " act-order" : "", calibrationCount, heldOutCount, rtn, gptq, (1 - gptq) / (1 - rtn),
        seconds, q.layers().groups().size(), q.results().size(), solve);
    assertTrue(1 - gptq <= 0.5 * (1 - rtn), "GPTQ error " + (1 - gptq) + " vs RTN error " + (1 - rtn));
  }
}
