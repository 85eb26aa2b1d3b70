package org.sparkquant.job.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.io.onnx.MiniLmInputs;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.io.onnx.OrtReference;
import org.sparkquant.io.onnx.TextLines;

/**
 * ONNX Runtime as the judge of calibrated models: MiniLM sentence embeddings on held-out sentences, and the PaddleOCR
 * text-direction classifier on rendered text lines, each compared with the FP32 model.
 */
final class AccuracyJudge {
  static final Path CALIBRATION_SENTENCES = Path.of("..", "data", "sentences", "calibration.txt");
  static final Path HELD_OUT_SENTENCES = Path.of("..", "data", "sentences", "held-out.txt");
  static final String MINILM_OUTPUT = "output_0";
  static final String CLS_OUTPUT = "save_infer_model/scale_0.tmp_1";
  static final String DET_OUTPUT = "sigmoid_0.tmp_0";

  /** Side of the square pages the detector reads (conf/examples/ppocr-det.yaml). */
  static final int PAGE = 320;

  private static final String[] WORDS = {"invoice", "total", "2026", "Spark", "quantize", "model", "street", "42",
      "data", "hello", "receipt", "amount", "paid", "date", "name", "city", "order", "line", "text", "open", "bank",
      "account", "tax", "price", "label", "2025", "#7", "report", "ONNX", "cluster"};

  private AccuracyJudge() {}

  /** Mean-pooled (attention-masked) sentence embeddings of {@code sentences}, batches of 32, in ONNX Runtime. */
  static float[][] embeddings(Path model, List<String> sentences, int threads) throws Exception {
    float[][] out = new float[sentences.size()][];
    try (OrtReference ort = new OrtReference(model, threads)) {
      for (int b = 0; b < sentences.size(); b += 32) {
        List<String> part = sentences.subList(b, Math.min(sentences.size(), b + 32));
        Map<String, OrtReference.Input> feed = MiniLmInputs.tokenize(part);
        float[] tokens = ort.run(feed, List.of(MINILM_OUTPUT)).get(MINILM_OUTPUT);
        long[] mask = (long[]) feed.get("attention_mask").data();
        int len = (int) feed.get("attention_mask").shape()[1];
        int hidden = tokens.length / part.size() / len;
        for (int s = 0; s < part.size(); s++) {
          float[] pooled = new float[hidden];
          int count = 0;
          for (int t = 0; t < len; t++) {
            if (mask[s * len + t] != 0) {
              count++;
              for (int h = 0; h < hidden; h++) {
                pooled[h] += tokens[(s * len + t) * hidden + h];
              }
            }
          }
          for (int h = 0; h < hidden; h++) {
            pooled[h] /= count;
          }
          out[b + s] = pooled;
        }
      }
    }
    return out;
  }

  static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  /** Mean over sentences of the cosine between their quantized and FP32 embeddings. */
  static double meanCosine(float[][] quantized, float[][] fp32) {
    double total = 0;
    for (int i = 0; i < fp32.length; i++) {
      total += cosine(quantized[i], fp32[i]);
    }
    return total / fp32.length;
  }

  /**
   * Fraction of sentences whose nearest neighbour among the other sentences (by cosine) is the same with the quantized
   * embeddings as with the FP32 ones.
   */
  static double neighbourAgreement(float[][] quantized, float[][] fp32) {
    int agree = 0;
    for (int i = 0; i < fp32.length; i++) {
      agree += nearest(quantized, i) == nearest(fp32, i) ? 1 : 0;
    }
    return (double) agree / fp32.length;
  }

  private static int nearest(float[][] e, int i) {
    int best = -1;
    double bestCos = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < e.length; j++) {
      if (j != i) {
        double c = cosine(e[i], e[j]);
        if (c > bestCos) {
          bestCos = c;
          best = j;
        }
      }
    }
    return best;
  }

  static List<String> sentences(Path file) throws IOException {
    return Files.readAllLines(file).stream().filter(s -> !s.isBlank()).toList();
  }

  /** Activation QuantizeLinear nodes (weights are stored quantized behind DequantizeLinear only). */
  static long quantizers(Path model) {
    return count(model, "QuantizeLinear");
  }

  static long count(Path model, String opType) {
    Graph g = new OnnxModelReader().read(model);
    return g.nodes().stream().filter(n -> n.opType().equals(opType)).count();
  }

  /** Rendered text lines with their labels (upside down or not), all from one seed. */
  record Lines(List<BufferedImage> images, boolean[] rotated) {
    static Lines render(int n, long seed) {
      Random r = new Random(seed);
      List<BufferedImage> images = new ArrayList<>();
      boolean[] rotated = new boolean[n];
      for (int i = 0; i < n; i++) {
        StringBuilder text = new StringBuilder();
        int words = 1 + r.nextInt(3);
        for (int w = 0; w < words; w++) {
          text.append(w > 0 ? " " : "").append(WORDS[r.nextInt(WORDS.length)]);
        }
        rotated[i] = r.nextBoolean();
        images.add(TextLines.render(text.toString(), rotated[i], r.nextInt(6)));
      }
      return new Lines(images, rotated);
    }

    /** Writes the lines as PNG files {@code line-00000.png ...} into {@code dir}. */
    Path writePng(Path dir) throws IOException {
      Files.createDirectories(dir);
      for (int i = 0; i < images.size(); i++) {
        ImageIO.write(images.get(i), "png", dir.resolve(String.format("line-%05d.png", i)).toFile());
      }
      return dir;
    }
  }

  /** Rendered pages: lines of words at random places, sizes, fonts and shades on light paper, all from one seed. */
  record Pages(List<BufferedImage> images) {
    static Pages render(int n, long seed) {
      Random r = new Random(seed);
      List<BufferedImage> images = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        BufferedImage img = new BufferedImage(PAGE, PAGE, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = img.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_TEXT_ANTIALIASING,
            java.awt.RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        int paper = 220 + r.nextInt(36);
        g.setColor(new java.awt.Color(paper, paper, paper - r.nextInt(20)));
        g.fillRect(0, 0, PAGE, PAGE);
        int y = 10;
        while (true) {
          int size = 14 + r.nextInt(16);
          y += size + 6 + r.nextInt(20);
          if (y > PAGE - 8) {
            break;
          }
          StringBuilder text = new StringBuilder();
          for (int w = 0, words = 1 + r.nextInt(3); w < words; w++) {
            text.append(w > 0 ? " " : "").append(WORDS[r.nextInt(WORDS.length)]);
          }
          int ink = r.nextInt(80);
          g.setColor(new java.awt.Color(ink, ink, ink + r.nextInt(60)));
          g.setFont(new java.awt.Font(r.nextBoolean() ? java.awt.Font.SANS_SERIF : java.awt.Font.SERIF,
              r.nextBoolean() ? java.awt.Font.PLAIN : java.awt.Font.BOLD, size));
          g.drawString(text.toString(), 4 + r.nextInt(PAGE / 3), y);
        }
        g.dispose();
        images.add(img);
      }
      return new Pages(images);
    }

    /** Writes the pages as PNG files {@code page-00000.png ...} into {@code dir}. */
    Path writePng(Path dir) throws IOException {
      Files.createDirectories(dir);
      for (int i = 0; i < images.size(); i++) {
        ImageIO.write(images.get(i), "png", dir.resolve(String.format("page-%05d.png", i)).toFile());
      }
      return dir;
    }
  }

  /**
   * The detector's text probability map of every page, in ONNX Runtime, preprocessed as the example config says
   * (BGR, ImageNet mean and deviation).
   */
  static float[][] probabilityMaps(Path model, Pages pages, int threads) throws Exception {
    float[] mean = {0.485f, 0.456f, 0.406f};
    float[] std = {0.229f, 0.224f, 0.225f};
    float[][] maps = new float[pages.images().size()][];
    try (OrtReference ort = new OrtReference(model, threads)) {
      for (int i = 0; i < maps.length; i++) {
        BufferedImage img = pages.images().get(i);
        float[] x = new float[3 * PAGE * PAGE];
        for (int y = 0; y < PAGE; y++) {
          for (int c = 0; c < PAGE; c++) {
            int rgb = img.getRGB(c, y);
            int[] bgr = {rgb & 0xff, (rgb >> 8) & 0xff, (rgb >> 16) & 0xff};
            for (int k = 0; k < 3; k++) {
              x[k * PAGE * PAGE + y * PAGE + c] = (bgr[k] / 255f - mean[k]) / std[k];
            }
          }
        }
        maps[i] = ort.run(Map.of("x", new OrtReference.Input(x, new long[] {1, 3, PAGE, PAGE})), List.of(DET_OUTPUT))
            .get(DET_OUTPUT);
      }
    }
    return maps;
  }

  /** Intersection over union of the pixels above {@code threshold} in two maps (1 when both are empty). */
  static double iou(float[] a, float[] b, float threshold) {
    long both = 0;
    long either = 0;
    for (int i = 0; i < a.length; i++) {
      boolean x = a[i] > threshold;
      boolean y = b[i] > threshold;
      both += x && y ? 1 : 0;
      either += x || y ? 1 : 0;
    }
    return either == 0 ? 1 : (double) both / either;
  }

  /** The classifier's predictions (true: upside down) for every line, batches of 50, in ONNX Runtime. */
  static boolean[] predictions(Path model, Lines lines, int threads) throws Exception {
    int n = lines.images().size();
    boolean[] out = new boolean[n];
    int size = 3 * 48 * 192;
    try (OrtReference ort = new OrtReference(model, threads)) {
      for (int b = 0; b < n; b += 50) {
        int m = Math.min(50, n - b);
        float[] x = new float[m * size];
        for (int i = 0; i < m; i++) {
          TextLines.toTensor(lines.images().get(b + i), 48, 192, x, i);
        }
        float[] p = ort.run(Map.of("x", new OrtReference.Input(x, new long[] {m, 3, 48, 192})), List.of(CLS_OUTPUT))
            .get(CLS_OUTPUT);
        for (int i = 0; i < m; i++) {
          out[b + i] = p[2 * i + 1] > p[2 * i];
        }
      }
    }
    return out;
  }

  /** Percentage of {@code predicted} equal to {@code expected}. */
  static double percentEqual(boolean[] predicted, boolean[] expected) {
    int same = 0;
    for (int i = 0; i < expected.length; i++) {
      same += predicted[i] == expected[i] ? 1 : 0;
    }
    return 100.0 * same / expected.length;
  }
}
