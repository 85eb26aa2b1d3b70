package org.sparkquant.job.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.sparkquant.io.onnx.TestModels;

/**
 * GPTQ's quality on MiniLM as users get it: {@code sparkquant gptq} on {@code local[2]} over the calibration
 * sentences against round to nearest ({@code sparkquant quantize}) at the same preset, both judged in ONNX Runtime
 * on the held-out sentences (mean cosine of mean-pooled embeddings vs FP32).
 *
 * <p>Arguments: {@code PRESET SAMPLES [gptq options...]}, e.g. {@code w4g128 256 --act-order --static-groups}.
 */
public final class GptqAccuracyExperiment {
  private GptqAccuracyExperiment() {}

  public static void main(String[] args) throws Exception {
    String preset = args[0];
    int samples = Integer.parseInt(args[1]);
    List<String> options = List.of(args).subList(2, args.length);
    Path dir = Files.createTempDirectory("sparkquant-gptq-accuracy");
    String model = TestModels.path(TestModels.MINILM).toString();
    Cli.Result rtn = Cli.run("quantize", "--model", model, "--preset", preset, "--output",
        dir.resolve("rtn").toString());
    check(rtn);
    List<String> gptq = new ArrayList<>(List.of("gptq", "--model", model, "--tokenizer",
        TestModels.path(TestModels.MINILM_TOKENIZER).toString(), "--data",
        AccuracyJudge.CALIBRATION_SENTENCES.toString(), "--max-samples", Integer.toString(samples), "--batch-size",
        "32", "--master", "local[2]", "--preset", preset, "--output", dir.resolve("gptq").toString()));
    gptq.addAll(options);
    long t0 = System.nanoTime();
    Cli.Result g = Cli.run(gptq.toArray(String[]::new));
    double seconds = (System.nanoTime() - t0) / 1e9;
    check(g);
    List<String> heldOut = AccuracyJudge.sentences(AccuracyJudge.HELD_OUT_SENTENCES);
    float[][] fp32 = AccuracyJudge.embeddings(TestModels.path(TestModels.MINILM), heldOut, 2);
    double cRtn = AccuracyJudge.meanCosine(AccuracyJudge.embeddings(dir.resolve("rtn/model.onnx"), heldOut, 2), fp32);
    double cGptq = AccuracyJudge.meanCosine(
        AccuracyJudge.embeddings(dir.resolve("gptq/model.onnx"), heldOut, 2), fp32);
    System.out.printf("MiniLM %s %s, %d calibration / %d held-out sentences (ONNX Runtime): mean cosine RTN %.5f,"
            + " GPTQ %.5f; error ratio %.3f (target <= 0.5); gptq job %.1f s%n", preset, String.join(" ", options),
        samples, heldOut.size(), cRtn, cGptq, (1 - cGptq) / (1 - cRtn), seconds);
  }

  private static void check(Cli.Result r) {
    if (r.code() != 0) {
      throw new IllegalStateException(r.err());
    }
  }
}
