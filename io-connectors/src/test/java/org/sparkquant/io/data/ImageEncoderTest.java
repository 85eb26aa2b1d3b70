package org.sparkquant.io.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.io.onnx.TextLines;

class ImageEncoderTest {
  private static final Images PLAIN = new Images("x", Images.Resize.FIXED, 6, 8, 0f, Images.Channels.RGB, 1 / 255.0,
      List.of(0.0, 0.0, 0.0), List.of(1.0, 1.0, 1.0), Images.Layout.NCHW);

  static String save(BufferedImage img, Path dir, String name, String format) throws IOException {
    Path f = dir.resolve(name);
    if (!ImageIO.write(img, format, f.toFile())) {
      throw new IllegalStateException("no writer for " + format);
    }
    return f.toUri().toString();
  }

  static BufferedImage solid(int w, int h, int type, Color color) {
    BufferedImage img = new BufferedImage(w, h, type);
    Graphics2D g = img.createGraphics();
    g.setColor(color);
    g.fillRect(0, 0, w, h);
    g.dispose();
    return img;
  }

  static Tensor encode(Images images, List<String> uris) throws IOException {
    List<byte[]> payloads = new ArrayList<>();
    SampleReader reader = DataFormats.reader(DataConfig.defaults(DataFormat.IMAGES));
    for (String uri : uris) {
      payloads.addAll(Samples.readAll(reader, uri));
    }
    try (BatchEncoder enc = DataFormats.newEncoder(DataConfig.defaults(DataFormat.IMAGES).withImages(images), null)) {
      EncodedBatch b = enc.encode(payloads);
      assertNull(b.observeMask());
      return b.inputs().get(images.input());
    }
  }

  @Test
  void renderedTextLinesEqualThePaddleOcrReferencePreprocessing(@TempDir Path dir) throws IOException {
    int n = 6;
    int width = 192;
    List<String> uris = new ArrayList<>();
    float[] expected = new float[n * 3 * 48 * width];
    for (int i = 0; i < n; i++) {
      BufferedImage img = TextLines.render(TextLines.TEXTS[i] + (i == 5 ? " and a much longer tail" : ""), i % 2 == 1,
          i);
      TextLines.toTensor(img, 48, width, expected, i);
      uris.add(save(img, dir, "line" + i + ".png", "png"));
    }
    Tensor x = encode(Images.paddleOcrLine(48, width).withInput("x"), uris);
    assertArrayEquals(new long[] {n, 3, 48, width}, x.shape());
    assertArrayEquals(expected, x.floats());
  }

  @Test
  void pngJpegAndBmpDecodeToTheirColoursInTheOrderAsked(@TempDir Path dir) throws IOException {
    Color c = new Color(200, 100, 50);
    String png = save(solid(8, 6, BufferedImage.TYPE_INT_ARGB, c), dir, "a.png", "png");
    String jpg = save(solid(8, 6, BufferedImage.TYPE_INT_RGB, c), dir, "b.jpg", "jpg");
    String bmp = save(solid(8, 6, BufferedImage.TYPE_3BYTE_BGR, c), dir, "c.bmp", "bmp");
    Images bgr = new Images("x", Images.Resize.FIXED, 6, 8, 0f, Images.Channels.BGR, 1 / 255.0,
        List.of(0.0, 0.0, 0.0), List.of(1.0, 1.0, 1.0), Images.Layout.NCHW);
    Tensor t = encode(bgr, List.of(png, jpg, bmp));
    float[] v = t.floats();
    int plane = 6 * 8;
    for (int img = 0; img < 3; img++) {
      float tolerance = img == 1 ? 3 / 255f : 0f;
      int base = img * 3 * plane;
      assertEquals(50 / 255f, v[base], tolerance, "blue first");
      assertEquals(100 / 255f, v[base + plane], tolerance);
      assertEquals(200 / 255f, v[base + 2 * plane + plane - 1], tolerance);
    }
  }

  @Test
  void fixedResizeStretchesToTheGivenSizeInEitherLayout(@TempDir Path dir) throws IOException {
    String uri = save(solid(3, 17, BufferedImage.TYPE_INT_RGB, new Color(10, 20, 30)), dir, "tall.png", "png");
    Images nhwc = new Images("img", Images.Resize.FIXED, 6, 8, 0f, Images.Channels.RGB, 1.0,
        List.of(10.0, 20.0, 30.0), List.of(2.0, 4.0, 5.0), Images.Layout.NHWC);
    Tensor t = encode(nhwc, List.of(uri));
    assertArrayEquals(new long[] {1, 6, 8, 3}, t.shape());
    float[] v = t.floats();
    for (int p = 0; p < 6 * 8; p++) {
      assertArrayEquals(new float[] {0f, 0f, 0f}, new float[] {v[3 * p], v[3 * p + 1], v[3 * p + 2]});
    }
  }

  @Test
  void keepAspectResizePadsRightWithThePadValue(@TempDir Path dir) throws IOException {
    String square = save(solid(20, 20, BufferedImage.TYPE_INT_RGB, Color.WHITE), dir, "sq.png", "png");
    String wide = save(solid(100, 20, BufferedImage.TYPE_INT_RGB, Color.WHITE), dir, "wide.png", "png");
    Images images = new Images("x", Images.Resize.HEIGHT_KEEP_ASPECT, 10, 30, -7f, Images.Channels.RGB, 1 / 255.0,
        List.of(0.0, 0.0, 0.0), List.of(1.0, 1.0, 1.0), Images.Layout.NCHW);
    float[] v = encode(images, List.of(square, wide)).floats();
    int plane = 10 * 30;
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < 10; y++) {
        for (int x = 0; x < 30; x++) {
          assertEquals(x < 10 ? 1f : -7f, v[c * plane + y * 30 + x], "square: 10 columns of image, then padding");
          assertEquals(1f, v[3 * plane + c * plane + y * 30 + x], "wide: clipped to max_width, no padding");
        }
      }
    }
  }

  @Test
  void greyImagesKeepTheirValuesInEveryChannel(@TempDir Path dir) throws IOException {
    BufferedImage grey = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        grey.getRaster().setSample(x, y, 0, 77);
      }
    }
    String uri = save(grey, dir, "g.png", "png");
    Images images = new Images("x", Images.Resize.FIXED, 4, 4, 0f, Images.Channels.RGB, 1.0,
        List.of(0.0, 0.0, 0.0), List.of(1.0, 1.0, 1.0), Images.Layout.NCHW);
    for (float f : encode(images, List.of(uri)).floats()) {
      assertEquals(77f, f);
    }
  }

  @Test
  void unreadableImagesNameTheirFile(@TempDir Path dir) throws IOException {
    Path notImage = Files.writeString(dir.resolve("fake.png"), "this is not a PNG");
    String uri = notImage.toUri().toString();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> encode(PLAIN, List.of(uri)));
    assertEquals("image '" + uri + "' is not a PNG, JPEG or BMP image", e.getMessage());

    String good = save(solid(8, 6, BufferedImage.TYPE_INT_RGB, Color.RED), dir, "t.png", "png");
    byte[] bytes = Files.readAllBytes(Path.of(java.net.URI.create(good)));
    Path truncated = Files.write(dir.resolve("truncated.png"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
    String tUri = truncated.toUri().toString();
    IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> encode(PLAIN, List.of(tUri)));
    assertEquals(true, e2.getMessage().startsWith("image '" + tUri + "' "), e2.getMessage());
    assertEquals(1, e2.getMessage().lines().count());
  }
}
