package org.sparkquant.io.data;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.sparkquant.core.graph.Tensor;

/**
 * Images to one float tensor, as {@link Images} describes. Decoding uses {@code javax.imageio} (PNG, JPEG, BMP);
 * alpha is dropped and grey images are repeated into three channels, as OpenCV's {@code imread} does. Resizing draws
 * the image with bilinear interpolation through {@link Graphics2D}. An image that cannot be decoded is an
 * {@link IllegalArgumentException} naming its file, which the {@link ImagePayload} carries.
 */
final class ImageEncoder implements BatchEncoder {
  private final Images config;
  /** Output value per channel (in output order) and 8-bit input value. */
  private final float[][] lut = new float[3][256];
  private boolean closed;

  ImageEncoder(Images config) {
    this.config = config;
    double inverse = 1 / config.scale();
    long divisor = Math.round(inverse);
    boolean divide = divisor > 0 && Math.abs(inverse - divisor) <= 1e-6 * inverse;
    for (int c = 0; c < 3; c++) {
      float mean = config.mean().get(c).floatValue();
      float std = config.std().get(c).floatValue();
      for (int v = 0; v < 256; v++) {
        float scaled = divide ? v / (float) divisor : v * (float) config.scale();
        lut[c][v] = (scaled - mean) / std;
      }
    }
  }

  @Override
  public EncodedBatch encode(List<byte[]> payloads) {
    if (closed) {
      throw new IllegalStateException("image encoder is closed");
    }
    if (payloads.isEmpty()) {
      throw new IllegalArgumentException("cannot encode an empty batch");
    }
    int h = config.height();
    int w = config.width();
    int sample = 3 * h * w;
    float[] out = new float[Math.multiplyExact(payloads.size(), sample)];
    for (int i = 0; i < payloads.size(); i++) {
      ImagePayload p = ImagePayload.of(payloads.get(i));
      write(decode(p), out, i * sample);
    }
    long n = payloads.size();
    long[] shape = config.layout() == Images.Layout.NCHW ? new long[] {n, 3, h, w} : new long[] {n, h, w, 3};
    return new EncodedBatch(Map.of(config.input(), Tensor.ofFloats(shape, out)), null);
  }

  /** Preprocesses one image into {@code out} from {@code base}. */
  void write(BufferedImage img, float[] out, int base) {
    int h = config.height();
    int w = config.width();
    int rw = config.resize() == Images.Resize.FIXED ? w
        : Math.max(1, Math.min(w, (int) Math.ceil(img.getWidth() * (double) h / img.getHeight())));
    BufferedImage scaled = new BufferedImage(rw, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = scaled.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.drawImage(img, 0, 0, rw, h, null);
    g.dispose();
    boolean bgr = config.channels() == Images.Channels.BGR;
    boolean nchw = config.layout() == Images.Layout.NCHW;
    if (rw < w) {
      Arrays.fill(out, base, base + 3 * h * w, config.padValue());
    }
    int[] row = new int[rw];
    for (int y = 0; y < h; y++) {
      scaled.getRGB(0, y, rw, 1, row, 0, rw);
      for (int x = 0; x < rw; x++) {
        int rgb = row[x];
        int r = (rgb >> 16) & 0xff;
        int gr = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        int c0 = bgr ? b : r;
        int c2 = bgr ? r : b;
        if (nchw) {
          int p = base + y * w + x;
          out[p] = lut[0][c0];
          out[p + h * w] = lut[1][gr];
          out[p + 2 * h * w] = lut[2][c2];
        } else {
          int p = base + (y * w + x) * 3;
          out[p] = lut[0][c0];
          out[p + 1] = lut[1][gr];
          out[p + 2] = lut[2][c2];
        }
      }
    }
  }

  /** Decodes the payload's image to 8-bit RGB without alpha. */
  static BufferedImage decode(ImagePayload p) {
    BufferedImage img;
    ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(p.bytes()));
    try {
      img = ImageIO.read(in);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("image '" + p.uri() + "' could not be decoded: "
          + String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getSimpleName()));
    } finally {
      try {
        in.close();
      } catch (IOException alreadyClosed) {
        // ImageIO may close the stream itself; the bytes are on the heap, nothing else to release.
      }
    }
    if (img == null) {
      throw new IllegalArgumentException("image '" + p.uri() + "' is not a PNG, JPEG or BMP image");
    }
    if (img.getWidth() < 1 || img.getHeight() < 1) {
      throw new IllegalArgumentException("image '" + p.uri() + "' is empty");
    }
    return toRgb(img);
  }

  private static BufferedImage toRgb(BufferedImage img) {
    if (img.getType() == BufferedImage.TYPE_INT_RGB) {
      return img;
    }
    int w = img.getWidth();
    int h = img.getHeight();
    BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Raster raster = img.getRaster();
    boolean grey = img.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
    if (grey) {
      int bits = img.getColorModel().getComponentSize(0);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int v = raster.getSample(x, y, 0);
          v = bits > 8 ? v >> (bits - 8) : bits < 8 ? v * 255 / ((1 << bits) - 1) : v;
          rgb.setRGB(x, y, (v << 16) | (v << 8) | v);
        }
      }
    } else {
      int[] line = new int[w];
      for (int y = 0; y < h; y++) {
        img.getRGB(0, y, w, 1, line, 0, w);
        for (int x = 0; x < w; x++) {
          line[x] &= 0xffffff;
        }
        rgb.setRGB(0, y, w, 1, line, 0, w);
      }
    }
    return rgb;
  }

  @Override
  public void close() {
    closed = true;
  }
}
