package org.sparkquant.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;
import org.sparkquant.io.onnx.BadModels;
import org.sparkquant.io.onnx.OnnxModelWriter;
import org.sparkquant.io.onnx.TestModels;
import org.sparkquant.io.onnx.TextLines;

/**
 * Every bad input to {@code calibrate} ends with one line naming the file, field or value and what was expected, a
 * nonzero exit code (2 for usage, 1 for bad input), and nothing at the output path (an existing directory is left as
 * it was, no temporary directories beside it). Most cases fail on the driver before Spark starts; those that can only
 * be seen while reading or running the data (an image that does not decode, a malformed JSON line, non-finite
 * activations) fail inside a task, and the driver reports the task's message.
 */
class CalibrateBadInputTest {
  private static final Path CLS_CONFIG = Path.of("..", "conf", "examples", "ppocr-cls.yaml");

  @TempDir static Path fixtures;
  private static Path text;
  private static Path images;
  private static Path imagesWithCorrupt;

  @BeforeAll
  static void writeData() throws IOException {
    List<String> sentences = Files.readAllLines(CalibrateCommandTest.SENTENCES).subList(0, 8);
    text = Files.write(fixtures.resolve("sentences.txt"), sentences);
    images = Files.createDirectories(fixtures.resolve("lines"));
    imagesWithCorrupt = Files.createDirectories(fixtures.resolve("lines-corrupt"));
    for (int i = 0; i < 4; i++) {
      BufferedImage img = TextLines.render(TextLines.TEXTS[i], i % 2 == 1, i);
      ImageIO.write(img, "png", images.resolve("line-" + i + ".png").toFile());
      ImageIO.write(img, "png", imagesWithCorrupt.resolve("line-" + i + ".png").toFile());
    }
    byte[] png = Files.readAllBytes(images.resolve("line-0.png"));
    Files.write(imagesWithCorrupt.resolve("line-1-corrupt.png"), Arrays.copyOf(png, 40)); // header, no image data
  }

  /** A calibration of MiniLM on eight sentences: valid unless a case changes it. */
  static List<String> miniLm(Path dir) {
    return new ArrayList<>(List.of("calibrate",
        "--model", TestModels.path(TestModels.MINILM).toString(),
        "--tokenizer", TestModels.path(TestModels.MINILM_TOKENIZER).toString(),
        "--data", text.toString(), "--data-format", "text",
        "--max-samples", "4", "--batch-size", "2", "--master", "local[1]",
        "--output", dir.resolve("out").toString()));
  }

  /** A calibration of the PaddleOCR direction classifier on four rendered text lines: valid unless changed. */
  static List<String> ocrCls(Path dir) {
    return new ArrayList<>(List.of("calibrate",
        "--model", TestModels.path(TestModels.OCR_CLS).toString(),
        "--config", CLS_CONFIG.toString(),
        "--data", images.toString(),
        "--max-samples", "4", "--batch-size", "2", "--master", "local[1]",
        "--output", dir.resolve("out").toString()));
  }

  /** {@code args} with options set ({@code --opt value}, or {@code --flag} alone), replacing those already there. */
  static List<String> with(List<String> args, String... changes) {
    List<String> out = new ArrayList<>(args);
    for (int i = 0; i < changes.length; i++) {
      String option = changes[i];
      boolean hasValue = i + 1 < changes.length && !changes[i + 1].startsWith("--");
      String value = hasValue ? changes[++i] : null;
      int at = out.indexOf(option);
      if (at >= 0 && value != null) {
        out.set(at + 1, value);
      } else {
        out.add(option);
        if (value != null) {
          out.add(value);
        }
      }
    }
    return out;
  }

  /** {@code args} without {@code option} and its value. */
  static List<String> without(List<String> args, String option) {
    List<String> out = new ArrayList<>(args);
    int at = out.indexOf(option);
    out.remove(at + 1);
    out.remove(at);
    return out;
  }

  static Path write(Path file, String content) throws IOException {
    Files.createDirectories(file.getParent());
    return Files.writeString(file, content, StandardCharsets.UTF_8);
  }

  /** A config file for the classifier: ppocr-cls.yaml with {@code extra} YAML appended or {@code from} replaced. */
  static Path clsConfig(Path dir, String from, String to) throws IOException {
    String yaml = Files.readString(CLS_CONFIG);
    assertTrue(from.isEmpty() || yaml.contains(from), from);
    return write(dir.resolve("c.yaml"), from.isEmpty() ? yaml + to : yaml.replace(from, to));
  }

  /** Builds a case's arguments in its own directory, creating the files it needs. */
  interface Args {
    List<String> in(Path dir) throws IOException;
  }

  static Arguments usage(String name, String expected, Args args) {
    return Arguments.of(name, SparkQuantCli.EXIT_USAGE, expected, args);
  }

  static Arguments bad(String name, String expected, Args args) {
    return Arguments.of(name, SparkQuantCli.EXIT_BAD_INPUT, expected, args);
  }

  static Stream<Arguments> cases() {
    Stream<Arguments> usage = Stream.of(
        usage("unknown command", "unknown command 'calibrat'; expected one of inspect, quantize, calibrate, gptq, qat,"
            + " publish, help (did you mean calibrate?)",
            d -> {
              List<String> a = miniLm(d);
              a.set(0, "calibrat");
              return a;
            }),
        usage("unknown flag", "Unknown options: '--frobnicate', '1'", d -> with(miniLm(d), "--frobnicate", "1")),
        usage("missing --data", "Missing required option: '--data=PATH'", d -> without(miniLm(d), "--data")),
        usage("missing value", "Missing required parameter for option '--output' (DIR)",
            d -> with(without(miniLm(d), "--output"), "--output")),
        usage("malformed --seed", "Invalid value for option '--seed': 'abc' is not a long",
            d -> with(miniLm(d), "--seed", "abc")),
        usage("malformed --batch-size", "Invalid value for option '--batch-size': '3000000000' is not an int",
            d -> with(miniLm(d), "--batch-size", "3000000000")),
        usage("negative --batch-size", "--batch-size: expected a positive number, found -1",
            d -> with(miniLm(d), "--batch-size", "-1")),
        usage("zero --max-samples", "--max-samples: expected a positive number, found 0",
            d -> with(miniLm(d), "--max-samples", "0")),
        usage("zero --partitions", "--partitions: expected a positive number, found 0",
            d -> with(miniLm(d), "--partitions", "0")),
        usage("zero --max-length", "--max-length: expected a positive number, found 0",
            d -> with(miniLm(d), "--max-length", "0")),
        usage("bad master URL", "--master: 'foo' is not a Spark master URL", d -> with(miniLm(d), "--master", "foo")),
        usage("unknown mode", "--mode: 'fast' is not one of graph, eager", d -> with(miniLm(d), "--mode", "fast")),
        usage("unknown --data-format", "--data-format: 'csv' is not one of text, jsonl, images, parquet, arrow",
            d -> with(miniLm(d), "--data-format", "csv")),
        usage("unknown preset", "--preset: unknown preset 'w5'", d -> with(miniLm(d), "--preset", "w5")),
        usage("weight-only preset", "preset w8 quantizes no activations", d -> with(miniLm(d), "--preset", "w8")),
        usage("unknown preset over a config", "--preset: unknown preset 'w5'",
            d -> with(ocrCls(d), "--preset", "w5")));

    Stream<Arguments> models = Arrays.stream(BadModels.values()).map(b -> bad("model " + b.name().toLowerCase(),
        b.expected, d -> with(miniLm(d), "--model", b.create(d).toString())));

    Stream<Arguments> data = Stream.of(
        bad("data missing", "data path '", d -> with(miniLm(d), "--data", d.resolve("nope.txt").toString())),
        bad("data file empty", "' is an empty file",
            d -> with(miniLm(d), "--data", write(d.resolve("empty.txt"), "").toString())),
        bad("data directory empty", "has no text data files",
            d -> with(miniLm(d), "--data", Files.createDirectory(d.resolve("none")).toString())),
        bad("data only blank lines", "blank.txt' has no samples (blank lines are not samples)",
            d -> with(miniLm(d), "--data", write(d.resolve("blank.txt"), "\n   \n\t\r\n\n").toString())),
        bad("data malformed JSON line", "bad.jsonl:2: not valid JSON",
            d -> with(miniLm(d), "--data-format", "jsonl", "--data",
                write(d.resolve("bad.jsonl"), "{\"text\": \"fine\"}\n{\"text\": \"oops\"\n").toString())),
        bad("data JSON field missing", "rows.jsonl:1: field 'text' is missing",
            d -> with(miniLm(d), "--data-format", "jsonl", "--data",
                write(d.resolve("rows.jsonl"), "{\"body\": \"a sentence\"}\n").toString())),
        // all five images, so that the corrupt one is among the chosen samples whatever their hashes
        bad("data unreadable image", "line-1-corrupt.png",
            d -> with(ocrCls(d), "--data", imagesWithCorrupt.toString(), "--max-samples", "8")),
        bad("data no images in directory", "has no images data files (looked for *.bmp, *.jpeg, *.jpg, *.png)",
            d -> with(ocrCls(d), "--data", write(d.resolve("labels/labels.txt"), "0\n1\n").getParent().toString())),
        bad("data format unknown in config", "'data.format' is 'csv'",
            d -> with(ocrCls(d), "--config", clsConfig(d, "format: images", "format: csv").toString())),
        bad("data text for an image model", "model has no input 'input_ids', which --data-format text feeds",
            d -> with(ocrCls(d), "--data", text.toString(), "--data-format", "text",
                "--tokenizer", TestModels.path(TestModels.MINILM_TOKENIZER).toString())),
        bad("data images for a text model", "--data-format images feeds a FLOAT image tensor, but the model has no"
            + " float input", d -> with(miniLm(d), "--data", images.toString(), "--data-format", "images")),
        bad("data images of the wrong size", "does not run on --data-format images as configured (x [2, 3, 32, 192]"
            + " from data.images): node 'MaxPool@0' (MaxPool) failed",
            d -> with(ocrCls(d), "--config", clsConfig(d, "height: 48", "height: 32").toString())),
        bad("data parquet without columns", "data.columns is required for --data-format parquet",
            d -> with(miniLm(d), "--data-format", "parquet")));

    Stream<Arguments> tokenizer = Stream.of(
        bad("tokenizer missing", "tokenizer '", d -> with(miniLm(d), "--tokenizer", d.resolve("t.json").toString())),
        bad("tokenizer not JSON", "t.json' is not valid JSON",
            d -> with(miniLm(d), "--tokenizer", write(d.resolve("t.json"), "{\"model\": ").toString())),
        bad("tokenizer not a tokenizer", "is not a Hugging Face tokenizer.json",
            d -> with(miniLm(d), "--tokenizer", write(d.resolve("t.json"), "{\"vocab\": {}}").toString())),
        bad("tokenizer missing for text", "--tokenizer is required for --data-format text",
            d -> without(miniLm(d), "--tokenizer")));

    Stream<Arguments> config = Stream.of(
        bad("config missing", "c.yaml' does not exist", d -> with(ocrCls(d), "--config", d.resolve("c.yaml")
            .toString())),
        bad("config malformed YAML", "is not valid YAML/JSON",
            d -> with(ocrCls(d), "--config", write(d.resolve("c.yaml"), "version: 1\npreset: [w8a8\n").toString())),
        bad("config unknown key", "unknown key 'data.images.colour'",
            d -> with(ocrCls(d), "--config", clsConfig(d, "channels: BGR", "colour: BGR").toString())),
        bad("config unknown version", "'version' must be 1",
            d -> with(ocrCls(d), "--config", clsConfig(d, "version: 1", "version: 7").toString())),
        bad("config invalid observer", "'activations.observer' is 'magic'",
            d -> with(ocrCls(d), "--config", clsConfig(d, "", "activations: {observer: magic}\n").toString())),
        bad("config invalid non-finite policy", "'activations.non_finite' is 'sometimes'; expected one of [error,"
            + " skip, clip]", d -> with(ocrCls(d), "--config",
                clsConfig(d, "", "activations: {non_finite: sometimes}\n").toString())),
        bad("config invalid std", "data.images.std must not contain 0",
            d -> with(ocrCls(d), "--config", clsConfig(d, "std: [0.5, 0.5, 0.5]", "std: [0.5, 0, 0.5]").toString())),
        bad("config rule that matches nothing", "rule regex '/nope/.*' matches no node",
            d -> with(ocrCls(d), "--config", clsConfig(d, "",
                "rules:\n  - {match: regex, pattern: '/nope/.*', action: skip}\n").toString())),
        bad("config without activations", "quantizes no activations ('activations: none')",
            d -> with(ocrCls(d), "--config", clsConfig(d, "", "activations: none\n").toString())));

    Stream<Arguments> output = Stream.of(
        bad("output exists", "already exists; pass --overwrite to replace it", d -> {
          write(d.resolve("out/keep.txt"), "user data");
          return miniLm(d);
        }),
        bad("output is a file", "is a file; expected a directory path", d -> {
          write(d.resolve("out"), "a file");
          return with(miniLm(d), "--overwrite");
        }),
        bad("output not creatable", "is a file; expected a directory", d -> {
          write(d.resolve("file"), "a file");
          return with(miniLm(d), "--output", d.resolve("file/sub/out").toString());
        }));

    return Stream.of(usage, models, data, tokenizer, config, output).flatMap(s -> s);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void badInputEndsWithOneLineANonzeroExitAndNothingWritten(String name, int code, String expected, Args args,
      @TempDir Path dir) throws Exception {
    List<String> argv = args.in(dir);
    int at = argv.indexOf("--output");
    Path out = at >= 0 && at + 1 < argv.size() ? Path.of(argv.get(at + 1)) : dir.resolve("out");
    Map<String, String> before = contents(out);

    Cli.Result r = Cli.run(argv.toArray(String[]::new));

    assertEquals(code, r.code(), name + ": " + r.err());
    assertOneLineError(r.err(), expected, code == SparkQuantCli.EXIT_USAGE);
    assertEquals(before, contents(out), "output changed");
    assertNoTemporaries(dir);
    assertNoTemporaries(out.toAbsolutePath().getParent());
  }

  /**
   * y = (2·log(x)) @ w on 4x4 images: black pixels make -inf activations in front of the MatMul; the error names the
   * tensor the observer saw and the node where the infinities started (Log, not the Mul after it).
   */
  @Test
  void nonFiniteActivationsFailByDefaultNamingTheTensorAndFollowTheConfiguredPolicy(@TempDir Path dir)
      throws Exception {
    Path model = dir.resolve("log.onnx");
    float[] w = new float[16];
    Random random = new Random(3);
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) random.nextGaussian();
    }
    List<Dim> shape = List.of(Dim.symbolic("batch"), Dim.of(3), Dim.of(4), Dim.of(4));
    new OnnxModelWriter().write(Graph.builder()
        .name("log-matmul")
        .opset("", 17)
        .addInput(new ValueInfo("x", DataType.FLOAT, shape))
        .addConstant("w", Tensor.ofFloats(new long[] {4, 4}, w))
        .addConstant("two", Tensor.ofFloats(new long[0], 2f))
        .addNode(Node.of("log", "Log", List.of("x"), List.of("log_x")))
        .addNode(Node.of("twice", "Mul", List.of("log_x", "two"), List.of("scaled")))
        .addNode(Node.of("mm", "MatMul", List.of("scaled", "w"), List.of("y")))
        .addOutput(new ValueInfo("y", DataType.FLOAT, shape))
        .build(), model);
    Path data = Files.createDirectories(dir.resolve("images"));
    for (int i = 0; i < 4; i++) {
      BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < 8; y++) {
        for (int x = 4; x < 8; x++) { // the left half stays black
          img.setRGB(x, y, new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256)).getRGB());
        }
      }
      ImageIO.write(img, "png", data.resolve("img-" + i + ".png").toFile());
    }
    String yaml = "version: 1\npreset: w8a8\n%s\ndata:\n  format: images\n  images: {resize: fixed, height: 4,"
        + " width: 4, scale: 1/255}\n";
    for (String policy : new String[] {"", "error", "skip", "clip"}) {
      Path config = write(dir.resolve("c-" + policy + ".yaml"),
          String.format(yaml, policy.isEmpty() ? "" : "activations: {non_finite: " + policy + "}"));
      Path out = dir.resolve("out-" + policy);
      Cli.Result r = Cli.run("calibrate", "--model", model.toString(), "--config", config.toString(), "--data",
          data.toString(), "--max-samples", "4", "--batch-size", "2", "--master", "local[1]", "--output",
          out.toString());
      if (policy.isEmpty() || policy.equals("error")) {
        assertEquals(SparkQuantCli.EXIT_BAD_INPUT, r.code(), policy + ": " + r.err());
        assertOneLineError(r.err(), "tensor 'scaled' has", false);
        assertTrue(r.err().contains("NaN or infinite values") && r.err().contains("non_finite: skip"), r.err());
        assertTrue(r.err().contains("the first NaN or infinite values computed from finite inputs are in 'log_x',"
            + " the output of node 'log' (Log)"), r.err());
        assertFalse(Files.exists(out));
      } else {
        assertEquals(0, r.code(), policy + ": " + r.err());
        assertTrue(Files.exists(out.resolve("_SUCCESS")));
      }
      assertNoTemporaries(dir);
    }
  }

  static void assertOneLineError(String err, String expected, boolean usage) {
    List<String> lines = err.lines().toList();
    assertEquals(usage ? 2 : 1, lines.size(), err);
    assertTrue(lines.get(0).startsWith("error: "), err);
    assertTrue(lines.get(0).contains(expected), "expected '" + expected + "' in: " + err);
    if (usage) {
      assertTrue(lines.get(1).matches("Run 'sparkquant( calibrate)? --help' for usage\\."), err);
    }
    assertFalse(err.contains("\tat ") || err.contains("Exception") || err.contains("SparkException"), err);
  }

  /** The files under {@code dir} and their contents, or an empty map when it does not exist. */
  static Map<String, String> contents(Path dir) throws IOException {
    Map<String, String> m = new TreeMap<>();
    if (!Files.exists(dir)) {
      return m;
    }
    if (Files.isRegularFile(dir)) {
      m.put("", Files.readString(dir));
      return m;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        m.put(dir.relativize(p).toString(), Files.readString(p));
      }
    }
    return m;
  }

  static void assertNoTemporaries(Path dir) throws IOException {
    if (dir == null || !Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> left = files.filter(p -> p.getFileName().toString().contains(".tmp-")
          || p.getFileName().toString().contains(".old-")).toList();
      assertTrue(left.isEmpty(), "temporary directories left: " + left);
    }
  }
}
