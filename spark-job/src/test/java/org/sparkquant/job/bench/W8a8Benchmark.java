package org.sparkquant.job.bench;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.sparkquant.io.onnx.MiniLmInputs;
import org.sparkquant.io.onnx.OrtReference;
import org.sparkquant.io.onnx.TestModels;
import org.sparkquant.job.cli.SparkQuantCli;

/**
 * ONNX Runtime throughput of MiniLM w8a8 (calibrated with {@code sparkquant calibrate}) against the FP32 model: the
 * held-out sentences in batches of 32, each padded to its longest sentence, 2 intra-op threads, default session
 * options (all graph optimizations, so ONNX Runtime fuses the QDQ pairs into integer kernels). Tokenization is done
 * up front and not timed; one untimed pass warms up both sessions. Each round runs every batch on the FP32 model, then
 * on the quantized one; the best round of each and the median of the per-round ratios are printed, as the machine may
 * be shared.
 *
 * <p>Arguments: {@code [rounds] [--config F.yaml] [--quantized Q.onnx]} (defaults: 7 rounds,
 * {@code conf/examples/minilm.yaml}, calibrated here on 512 sentences of {@code data/sentences/calibration.txt}).
 */
public final class W8a8Benchmark {
  private W8a8Benchmark() {}

  public static void main(String[] args) throws Exception {
    List<String> a = Arrays.asList(args);
    int rounds = args.length > 0 && !args[0].startsWith("--") ? Integer.parseInt(args[0]) : 7;
    Path root = Path.of("..");
    Path config = a.contains("--config") ? Path.of(a.get(a.indexOf("--config") + 1))
        : root.resolve("conf/examples/minilm.yaml");
    Path fp32 = TestModels.path(TestModels.MINILM);
    Path quantized;
    if (a.contains("--quantized")) {
      quantized = Path.of(a.get(a.indexOf("--quantized") + 1));
    } else {
      Path out = Files.createTempDirectory("w8a8-bench").resolve("out");
      long t0 = System.nanoTime();
      int code = SparkQuantCli.execute(new String[] {"calibrate", "--model", fp32.toString(),
          "--tokenizer", TestModels.path(TestModels.MINILM_TOKENIZER).toString(),
          "--data", root.resolve("data/sentences/calibration.txt").toString(), "--data-format", "text",
          "--config", config.toString(), "--max-samples", "512", "--master", "local[2]",
          "--output", out.toString()}, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
      if (code != 0) {
        throw new IllegalStateException("calibrate failed with exit code " + code);
      }
      quantized = out.resolve("model.onnx");
      System.out.printf("calibrated %s with %s in %.1f s%n", quantized, config, (System.nanoTime() - t0) / 1e9);
    }
    List<String> sentences = Files.readAllLines(root.resolve("data/sentences/held-out.txt")).stream()
        .filter(s -> !s.isBlank()).toList();
    List<Map<String, OrtReference.Input>> batches = new ArrayList<>();
    for (int i = 0; i < sentences.size(); i += 32) {
      batches.add(MiniLmInputs.tokenize(sentences.subList(i, Math.min(sentences.size(), i + 32))));
    }
    double[] ratios = new double[rounds];
    long fpBest = Long.MAX_VALUE;
    long qBest = Long.MAX_VALUE;
    try (OrtReference f = new OrtReference(fp32, 2);
        OrtReference q = new OrtReference(quantized, 2)) {
      runAll(f, batches);
      runAll(q, batches);
      for (int r = 0; r < rounds; r++) {
        long t0 = System.nanoTime();
        runAll(f, batches);
        long t1 = System.nanoTime();
        runAll(q, batches);
        long t2 = System.nanoTime();
        fpBest = Math.min(fpBest, t1 - t0);
        qBest = Math.min(qBest, t2 - t1);
        ratios[r] = (double) (t1 - t0) / (t2 - t1);
        System.out.printf("round %d: fp32 %.0f sentences/s, w8a8 %.0f sentences/s, ratio %.3f%n", r + 1,
            sentences.size() / ((t1 - t0) / 1e9), sentences.size() / ((t2 - t1) / 1e9), ratios[r]);
      }
    }
    double[] sorted = ratios.clone();
    Arrays.sort(sorted);
    System.out.printf("fp32_best_sentences_per_s=%.1f%n", sentences.size() / (fpBest / 1e9));
    System.out.printf("w8a8_best_sentences_per_s=%.1f%n", sentences.size() / (qBest / 1e9));
    System.out.printf("best_round_ratio=%.3f%n", (double) fpBest / qBest);
    System.out.printf("median_round_ratio=%.3f (target >= 1.6)%n", sorted[rounds / 2]);
  }

  private static void runAll(OrtReference ort, List<Map<String, OrtReference.Input>> batches) throws Exception {
    for (Map<String, OrtReference.Input> b : batches) {
      ort.run(b, List.of("output_0"));
    }
  }
}
