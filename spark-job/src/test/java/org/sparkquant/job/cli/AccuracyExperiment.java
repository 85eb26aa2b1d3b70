package org.sparkquant.job.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.io.onnx.OnnxModelWriter;
import org.sparkquant.io.onnx.TestModels;

/**
 * Calibrates with the real {@code calibrate} command and judges the result in ONNX Runtime, for trying configurations.
 *
 * <p>Arguments: {@code minilm|cls CONFIG.yaml|- [max-samples] [--sensitivity]}. With {@code --sensitivity} each
 * activation quantizer is also removed on its own from the export, and the metrics without it are printed.
 */
public final class AccuracyExperiment {
  private AccuracyExperiment() {}

  public static void main(String[] args) throws Exception {
    String model = args[0];
    String config = args[1];
    int max = args.length > 2 && !args[2].startsWith("--") ? Integer.parseInt(args[2]) : model.equals("cls") ? 300 : 512;
    boolean sensitivity = List.of(args).contains("--sensitivity");
    Path dir = Files.createTempDirectory("accuracy");
    Path out = dir.resolve("out");
    List<String> cli = new ArrayList<>(List.of("calibrate", "--master", "local[1]", "--output", out.toString(),
        "--max-samples", Integer.toString(max)));
    if (!config.equals("-")) {
      cli.addAll(List.of("--config", config));
    }
    long t0 = System.nanoTime();
    if (model.equals("minilm")) {
      cli.addAll(List.of("--model", TestModels.path(TestModels.MINILM).toString(),
          "--tokenizer", TestModels.path(TestModels.MINILM_TOKENIZER).toString(),
          "--data", AccuracyJudge.CALIBRATION_SENTENCES.toString(), "--data-format", "text"));
    } else {
      Path lines = AccuracyJudge.Lines.render(max, 7).writePng(dir.resolve("lines"));
      cli.addAll(List.of("--model", TestModels.path(TestModels.OCR_CLS).toString(), "--data", lines.toString(),
          "--data-format", "images"));
    }
    Cli.Result r = Cli.run(cli.toArray(String[]::new));
    if (r.code() != 0) {
      throw new IllegalStateException(r.err());
    }
    System.out.printf("calibrate: %.1f s%n", (System.nanoTime() - t0) / 1e9);
    Path q = out.resolve("model.onnx");
    System.out.printf("quantizers=%d%n", AccuracyJudge.quantizers(q));
    if (model.equals("minilm")) {
      List<String> held = AccuracyJudge.sentences(AccuracyJudge.HELD_OUT_SENTENCES);
      float[][] fp32 = AccuracyJudge.embeddings(TestModels.path(TestModels.MINILM), held, 2);
      report("all", q, held, fp32);
      if (sensitivity) {
        for (String a : activations(q)) {
          report("without " + a, without(q, a, dir), held, fp32);
        }
      }
    } else {
      AccuracyJudge.Lines lines = AccuracyJudge.Lines.render(1000, 1234);
      boolean[] fp32 = AccuracyJudge.predictions(TestModels.path(TestModels.OCR_CLS), lines, 2);
      System.out.printf("fp32 accuracy=%.2f%n", AccuracyJudge.percentEqual(fp32, lines.rotated()));
      System.out.printf("BatchNormalization=%d%n", AccuracyJudge.count(q, "BatchNormalization"));
      report("all", q, lines, fp32);
      if (sensitivity) {
        for (String a : activations(q)) {
          report("without " + a, without(q, a, dir), lines, fp32);
        }
      }
    }
  }

  private static void report(String what, Path q, List<String> held, float[][] fp32) throws Exception {
    float[][] e = AccuracyJudge.embeddings(q, held, 2);
    System.out.printf("%s: cosine=%.5f nn=%.3f%n", what, AccuracyJudge.meanCosine(e, fp32),
        AccuracyJudge.neighbourAgreement(e, fp32));
  }

  private static void report(String what, Path q, AccuracyJudge.Lines lines, boolean[] fp32) throws Exception {
    boolean[] p = AccuracyJudge.predictions(q, lines, 2);
    System.out.printf("%s: accuracy=%.2f agreement=%.2f%n", what, AccuracyJudge.percentEqual(p, lines.rotated()),
        AccuracyJudge.percentEqual(p, fp32));
  }

  private static List<String> activations(Path q) {
    return new OnnxModelReader().read(q).nodes().stream().filter(n -> n.opType().equals("QuantizeLinear"))
        .map(n -> n.inputs().get(0)).toList();
  }

  /** The export with the quantizer of {@code activation} removed: its readers read the float value. */
  private static Path without(Path q, String activation, Path dir) throws Exception {
    Graph g = new OnnxModelReader().read(q);
    Graph.Builder b = g.toBuilder().clearNodes();
    String dq = activation + "_dequantized";
    for (Node n : g.nodes()) {
      if (n.name().equals(activation + "/QuantizeLinear") || n.name().equals(activation + "/DequantizeLinear")) {
        continue;
      }
      List<String> in = n.inputs().stream().map(s -> s.equals(dq) ? activation : s).toList();
      b.addNode(in.equals(n.inputs()) ? n : new Node(n.name(), n.opType(), n.domain(), in, n.outputs(),
          n.attributes()));
    }
    Path file = dir.resolve("without.onnx");
    new OnnxModelWriter().write(b.build(), file);
    return file;
  }
}
