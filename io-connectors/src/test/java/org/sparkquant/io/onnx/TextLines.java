package org.sparkquant.io.onnx;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/** Renders text-line images in the test, and turns them into PaddleOCR input tensors. */
public final class TextLines {
  private TextLines() {}

  public static final String[] TEXTS = {
    "SparkQuant 2026", "hello world", "quantization", "ONNX Runtime", "calibrate 512", "Apache Spark",
    "executor 1", "batch size 32", "int8 weights", "the lazy dog", "GPTQ solver", "fake quant",
    "PaddleOCR v4", "text line 14", "Hadoop FS", "model.onnx"
  };

  /** A dark-on-light text line, optionally upside down (the classifier's second class). */
  public static BufferedImage render(String text, boolean rotated, int seed) {
    Font font = new Font(Font.SANS_SERIF, seed % 2 == 0 ? Font.PLAIN : Font.BOLD, 28 + seed % 3 * 2);
    BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    Graphics2D pg = probe.createGraphics();
    int width = pg.getFontMetrics(font).stringWidth(text) + 16;
    pg.dispose();
    BufferedImage img = new BufferedImage(width, 48, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(new Color(235 - seed % 20, 235, 230));
    g.fillRect(0, 0, width, 48);
    g.setColor(new Color(20, 20 + seed % 30, 40));
    g.setFont(font);
    if (rotated) {
      g.rotate(Math.PI, width / 2.0, 24);
    }
    g.drawString(text, 8, 36);
    g.dispose();
    return img;
  }

  /**
   * PaddleOCR preprocessing into {@code out} at sample {@code index}: resize to height {@code h} keeping aspect up
   * to width {@code w}, pad right with zeros, BGR, {@code (x/255 - 0.5) / 0.5}, NCHW.
   */
  public static void toTensor(BufferedImage img, int h, int w, float[] out, int index) {
    int rw = Math.min(w, (int) Math.ceil(img.getWidth() * (double) h / img.getHeight()));
    BufferedImage scaled = new BufferedImage(rw, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = scaled.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.drawImage(img, 0, 0, rw, h, null);
    g.dispose();
    int base = index * 3 * h * w;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < rw; x++) {
        int rgb = scaled.getRGB(x, y);
        int[] bgr = {rgb & 0xff, (rgb >> 8) & 0xff, (rgb >> 16) & 0xff};
        for (int c = 0; c < 3; c++) {
          out[base + c * h * w + y * w + x] = (bgr[c] / 255f - 0.5f) / 0.5f;
        }
      }
    }
  }

  /**
   * A batch of {@code n} lines {@code TEXTS[offset + i]} in PaddleOCR layout {@code [n, 3, 48, width]}, line
   * {@code i} upside down where {@code rotated} says so.
   */
  public static OrtReference.Input batch(int n, int width, int offset, java.util.function.IntPredicate rotated) {
    float[] x = new float[n * 3 * 48 * width];
    for (int i = 0; i < n; i++) {
      toTensor(render(TEXTS[offset + i], rotated.test(i), i), 48, width, x, i);
    }
    return new OrtReference.Input(x, new long[] {n, 3, 48, width});
  }

  /** A page with several text lines, for the detector. */
  public static float[] page(int h, int w) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, w, h);
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 22));
    for (int i = 0; i < 6; i++) {
      g.drawString(TEXTS[i], 10 + 7 * i, 40 + i * 45);
    }
    g.dispose();
    float[] out = new float[3 * h * w];
    float[] mean = {0.485f, 0.456f, 0.406f};
    float[] std = {0.229f, 0.224f, 0.225f};
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int rgb = img.getRGB(x, y);
        int[] bgr = {rgb & 0xff, (rgb >> 8) & 0xff, (rgb >> 16) & 0xff};
        for (int c = 0; c < 3; c++) {
          out[c * h * w + y * w + x] = (bgr[c] / 255f - mean[c]) / std[c];
        }
      }
    }
    return out;
  }
}
