package org.sparkquant.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.io.onnx.TestModels;

/**
 * {@code qat --loss ce} on the PaddleOCR text-direction classifier, with labels from the data: rendered text lines in
 * directories {@code 0/} and {@code 180/}, named as the classes in {@code data.label.classes}.
 */
class QatCrossEntropyTest {
  private static final String EPOCHS = "3";
  private static final String LR = "1e-3";

  /** Writes the lines as PNG files into {@code dir/0} and {@code dir/180} by their direction. */
  static Path writeLabelled(AccuracyJudge.Lines lines, Path dir) throws Exception {
    for (String d : List.of("0", "180")) {
      Files.createDirectories(dir.resolve(d));
    }
    for (int i = 0; i < lines.images().size(); i++) {
      BufferedImage img = lines.images().get(i);
      ImageIO.write(img, "png", dir.resolve(lines.rotated()[i] ? "180" : "0")
          .resolve(String.format("line-%05d.png", i)).toFile());
    }
    return dir;
  }

  /** The example cls config with {@code preset} and {@code classes} as data.label.classes. */
  static Path config(Path dir, String preset, String classes) throws Exception {
    String example = Files.readString(CalibrationAccuracyTest.EXAMPLES.resolve("ppocr-cls.yaml"))
        .replace("preset: w8a8", "preset: " + preset);
    return Files.writeString(dir.resolve("cls-labelled.yaml"), example + "  label: {classes: " + classes + "}\n");
  }

  static Cli.Result qat(Path data, Path config, Path out, String... extra) {
    List<String> args = new ArrayList<>(List.of("qat", "--model", TestModels.path(TestModels.OCR_CLS).toString(),
        "--data", data.toString(), "--data-format", "images", "--config", config.toString(), "--loss", "ce",
        "--batch-size", "32", "--micro-batch-size", "16", "--validation-fraction", "0.2", "--master", "local[2]",
        "--output", out.toString()));
    args.addAll(List.of(extra));
    return Cli.run(args.toArray(String[]::new));
  }

  @Test
  void trainsTheClassifierOnLabelsFromTheImageDirectories(@TempDir Path dir) throws Exception {
    Path data = writeLabelled(AccuracyJudge.Lines.render(160, 7), dir.resolve("lines"));
    Path config = config(dir, "w4a8g32", "[\"0\", \"180\"]");
    Path ptq = dir.resolve("ptq");
    Cli.Result calibrated = Cli.run("calibrate", "--model", TestModels.path(TestModels.OCR_CLS).toString(),
        "--data", data.toString(), "--data-format", "images", "--config", config.toString(), "--master", "local[2]",
        "--output", ptq.toString());
    assertEquals(0, calibrated.code(), calibrated.err());
    Path out = dir.resolve("qat");
    Cli.Result r = qat(data, config, out, "--epochs", EPOCHS, "--lr", LR);
    assertEquals(0, r.code(), r.out() + r.err());
    JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
    JsonNode validation = report.get("validation");
    double before = validation.get(0).get("accuracy").asDouble();
    double after = validation.get(validation.size() - 1).get("accuracy").asDouble();
    double fp32Validation = validation.get(0).get("fp32_accuracy").asDouble();
    List<Double> losses = new ArrayList<>();
    report.get("loss_curve").forEach(s -> losses.add(s.get("loss").asDouble()));

    AccuracyJudge.Lines test = AccuracyJudge.Lines.render(400, 1234);
    double fp32 = accuracy(TestModels.path(TestModels.OCR_CLS), test);
    double calibratedAccuracy = accuracy(ptq.resolve("model.onnx"), test);
    double trained = accuracy(out.resolve("model.onnx"), test);
    System.out.printf("PaddleOCR cls w4a8g32 on %d other lines in ONNX Runtime: FP32 %.2f%%, calibrated %.2f%%,"
        + " qat --loss ce %.2f%% (128 labelled lines, %s epochs, lr %s; validation accuracy %.4f -> %.4f, FP32 %.4f;"
        + " losses %s)%n", test.images().size(), fp32, calibratedAccuracy, trained, EPOCHS, LR, before, after,
        fp32Validation, losses);
    assertTrue(losses.stream().allMatch(l -> l > 0 && Double.isFinite(l)), "cross-entropy losses " + losses);
    assertTrue(after >= 0.9, "validation accuracy against the directory labels " + after);
    assertTrue(fp32Validation >= 0.9, "the FP32 model's validation accuracy " + fp32Validation);
    assertFalse(validation.get(validation.size() - 1).has("fp32_accuracy"), "FP32 is measured once, at the start");
    assertTrue(trained > calibratedAccuracy, "trained " + trained + " vs calibrated " + calibratedAccuracy);
    assertTrue(trained >= fp32 - 1, "trained " + trained + " vs FP32 " + fp32);
  }

  private static double accuracy(Path model, AccuracyJudge.Lines lines) throws Exception {
    return AccuracyJudge.percentEqual(AccuracyJudge.predictions(model, lines, 2), lines.rotated());
  }

  @Test
  void labelsThatDoNotFitTheModelOrTheFilesFailBeforeSparkStarts(@TempDir Path dir) throws Exception {
    Path data = writeLabelled(AccuracyJudge.Lines.render(8, 3), dir.resolve("lines"));
    Path out = dir.resolve("out");
    Cli.Result r = qat(data, config(dir, "w8a8", "[\"0\", \"90\", \"180\"]"), out, "--steps", "1");
    assertEquals(SparkQuantCli.EXIT_USAGE, r.code(), r.err());
    assertTrue(r.err().contains("data.label.classes names 3 classes but output 'save_infer_model/scale_0.tmp_1'"
        + " has 2"), r.err());
    Files.createDirectories(data.resolve("90"));
    Files.copy(Files.list(data.resolve("0")).findFirst().orElseThrow(), data.resolve("90").resolve("x.png"));
    r = qat(data, config(dir, "w8a8", "[\"0\", \"180\"]"), out, "--steps", "1");
    assertEquals(SparkQuantCli.EXIT_BAD_INPUT, r.code(), r.err());
    assertTrue(r.err().contains("is in directory '90', which is not one of data.label.classes [0, 180]"), r.err());
    assertFalse(Files.exists(out));
  }
}
