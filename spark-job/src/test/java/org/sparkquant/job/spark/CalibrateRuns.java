package org.sparkquant.job.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.sparkquant.io.onnx.TestModels;
import org.sparkquant.job.cli.SparkQuantCli;

/**
 * {@code calibrate} runs of the integration tests, all with the same arguments: MiniLM w8a8 with its real tokenizer
 * on 64 of the calibration sentences, batches of 8 on 4 partitions. Paths are absolute, so that a driver started by
 * {@code spark-submit} sees the same files and the model's provenance (which names the data path) is the same.
 * The {@code local[1]} run every cluster run is compared with is made once per JVM.
 */
final class CalibrateRuns {
  static final Path SENTENCES = Path.of("..", "data", "sentences", "calibration.txt").toAbsolutePath().normalize();
  static final Path OUTPUT_ROOT = Path.of("target", "it-calibrate").toAbsolutePath();

  private static byte[] reference;

  private CalibrateRuns() {}

  /** Exit code and what the command printed. */
  record Result(int code, String out, String err) {
    String both() {
      return out + err;
    }
  }

  /** Arguments of {@code calibrate} writing to {@code output}, without a master, followed by {@code extra}. */
  static List<String> args(Path output, String... extra) {
    return args("calibrate", output, extra);
  }

  /** As {@link #args(Path, String...)} for {@code command} ({@code calibrate} or {@code gptq}). */
  static List<String> args(String command, Path output, String... extra) {
    List<String> args = new ArrayList<>(List.of(command,
        "--model", TestModels.path(TestModels.MINILM).toAbsolutePath().toString(),
        "--tokenizer", TestModels.path(TestModels.MINILM_TOKENIZER).toAbsolutePath().toString(),
        "--data", SENTENCES.toString(), "--data-format", "text",
        "--max-samples", "64", "--batch-size", "8", "--partitions", "4",
        "--output", output.toString(), "--overwrite"));
    args.addAll(List.of(extra));
    return args;
  }

  /** Runs {@code calibrate} in this JVM on {@code master}; the output goes to {@code OUTPUT_ROOT/name}. */
  static Result inProcess(String name, String master, String... extra) {
    return inProcess("calibrate", name, master, extra);
  }

  /** Runs {@code command} in this JVM on {@code master}; the output goes to {@code OUTPUT_ROOT/name}. */
  static Result inProcess(String command, String name, String master, String... extra) {
    List<String> args = args(command, OUTPUT_ROOT.resolve(name), extra);
    args.addAll(List.of("--master", master));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    long started = System.nanoTime();
    int code = SparkQuantCli.execute(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
    System.out.printf("%s %s on %s: exit %d in %.1f s%n", command, name, master, code,
        (System.nanoTime() - started) / 1e9);
    return new Result(code, out.toString(), err.toString());
  }

  /** The model written by run {@code name}. */
  static byte[] model(String name) {
    try {
      return Files.readAllBytes(OUTPUT_ROOT.resolve(name).resolve("model.onnx"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The model of the {@code local[1]} run, made on first use. */
  static synchronized byte[] referenceModel() {
    if (reference == null) {
      Result r = inProcess("local-1", "local[1]");
      assertEquals(0, r.code(), r.both());
      reference = model("local-1");
    }
    return reference;
  }
}
