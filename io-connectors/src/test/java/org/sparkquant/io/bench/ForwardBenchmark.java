package org.sparkquant.io.bench;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.exec.KernelFusion;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.io.onnx.MiniLmInputs;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.io.onnx.OrtReference;
import org.sparkquant.io.onnx.TestModels;

/**
 * MiniLM forward throughput, SparkQuant executor vs ONNX Runtime, in one process: batches of 32 sentences padded to
 * the longest in each batch, 2 intra-op threads for both. Tokenization is done up front and not timed; one untimed pass over all batches warms up both engines. Rounds
 * alternate between the two engines (each round runs all batches on one engine, then on the other, so neither
 * engine's idle worker threads compete with the other's work); the ratio of totals and of the best rounds is printed.
 *
 * <p>Arguments: {@code [rounds]} (default 3); each round runs every batch once on each engine.
 */
public final class ForwardBenchmark {
  private ForwardBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 && !args[0].startsWith("--") ? Integer.parseInt(args[0]) : 3;
    boolean profile = java.util.Arrays.asList(args).contains("--profile");
    List<String> base = MiniLmInputs.sentences();
    List<String> sentences = new ArrayList<>();
    for (int i = 0; i < 256; i++) {
      String s = base.get(i % base.size());
      sentences.add(i % 3 == 0 ? s : i % 3 == 1 ? s + " " + base.get((i * 7) % base.size()) : s.substring(0, s.length() / 2));
    }
    List<Map<String, OrtReference.Input>> batches = new ArrayList<>();
    for (int i = 0; i < sentences.size(); i += 32) {
      batches.add(MiniLmInputs.tokenize(sentences.subList(i, i + 32)));
    }
    Path model = TestModels.path(TestModels.MINILM);
    Graph graph = new OnnxModelReader().read(model);
    long ortNanos = 0;
    long oursNanos = 0;
    long ortBest = Long.MAX_VALUE;
    long oursBest = Long.MAX_VALUE;
    try (OrtReference ort = new OrtReference(model, 2);
        DjlExecutor exec = new DjlExecutor(graph);
        NDManager manager = NDManager.newBaseManager()) {
      for (Map<String, OrtReference.Input> b : batches) {
        ort.run(b, List.of("output_0"));
        runOurs(exec, manager, b);
      }
      for (int r = 0; r < rounds; r++) {
        long t0 = System.nanoTime();
        for (Map<String, OrtReference.Input> b : batches) {
          ort.run(b, List.of("output_0"));
        }
        long t1 = System.nanoTime();
        for (Map<String, OrtReference.Input> b : batches) {
          runOurs(exec, manager, b);
        }
        long t2 = System.nanoTime();
        ortNanos += t1 - t0;
        oursNanos += t2 - t1;
        ortBest = Math.min(ortBest, t1 - t0);
        oursBest = Math.min(oursBest, t2 - t1);
        System.out.printf("round %d: onnxruntime %.2f s, sparkquant %.2f s%n", r + 1, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
      }
      if (profile) {
        // Listeners make an executor run the unfused graph, so profile an executor of the fused graph itself.
        try (DjlExecutor fused = new DjlExecutor(new KernelFusion(java.util.Set.of()).apply(graph))) {
          profile(fused, manager, batches);
        }
      }
    }
    double n = (double) rounds * sentences.size();
    double ortRate = n / (ortNanos / 1e9);
    double ourRate = n / (oursNanos / 1e9);
    System.out.printf("onnxruntime_sentences_per_s=%.1f%n", ortRate);
    System.out.printf("sparkquant_sentences_per_s=%.1f%n", ourRate);
    System.out.printf("best_round_ratio=%.3f%n", (double) ortBest / oursBest);
    System.out.printf("ratio=%.3f (target >= 0.8)%n", ourRate / ortRate);
  }

  private static void profile(DjlExecutor exec, NDManager manager, List<Map<String, OrtReference.Input>> batches) {
    Map<String, Long> byOp = new java.util.TreeMap<>();
    long[] last = {0};
    try (var reg =
        exec.addListener(
            (node, name, value) -> {
              long now = System.nanoTime();
              if (node != null && last[0] != 0) {
                byOp.merge(node.opType(), now - last[0], Long::sum);
              }
              last[0] = now;
            })) {
      for (Map<String, OrtReference.Input> b : batches) {
        last[0] = 0;
        runOurs(exec, manager, b);
      }
    }
    long total = byOp.values().stream().mapToLong(Long::longValue).sum();
    byOp.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(e -> System.out.printf("  %-16s %7.1f ms %5.1f%%%n", e.getKey(), e.getValue() / 1e6, 100.0 * e.getValue() / total));
  }

  private static float[] runOurs(DjlExecutor exec, NDManager manager, Map<String, OrtReference.Input> batch) {
    try (NDManager m = manager.newSubManager()) {
      NDList out = exec.run(m, OrtReference.Input.toArrays(batch, m));
      return out.get(0).toFloatArray();
    }
  }
}
