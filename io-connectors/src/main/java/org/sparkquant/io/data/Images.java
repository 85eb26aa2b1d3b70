package org.sparkquant.io.data;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * Image preprocessing: decode, resize, reorder channels, normalize {@code (x * scale - mean) / std} per channel, lay
 * out as {@link Layout#NCHW} or {@link Layout#NHWC}.
 *
 * @param input the model input fed, or null for the model's only float input (see {@link ModelFit#bind})
 * @param resize {@link Resize#FIXED} to {@code height x width}, or {@link Resize#HEIGHT_KEEP_ASPECT}: to
 *     {@code height} keeping the aspect ratio, width {@code min(width, ceil(w * height / h))}, then right-padded with
 *     {@code padValue} up to {@code width}
 * @param height output height
 * @param width output width ({@code fixed}) or maximum and padded width ({@code height_keep_aspect})
 * @param padValue the value of padded positions in the output tensor (after normalization)
 * @param channels channel order of the output
 * @param scale factor applied to the 0..255 pixel values first; a scale of {@code 1/n} for an integer {@code n}
 *     is applied as a division by {@code n}, bit for bit what {@code x / 255f} gives
 * @param mean per output channel, subtracted after scaling (3 values, in output channel order)
 * @param std per output channel, divided by last (3 values, none zero)
 * @param layout tensor layout
 */
public record Images(
    String input,
    Resize resize,
    int height,
    int width,
    float padValue,
    Channels channels,
    double scale,
    List<Double> mean,
    List<Double> std,
    Layout layout)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** 224 x 224, RGB, {@code x / 255}, no mean or std, NCHW. */
  public static final Images DEFAULT = new Images(null, Resize.FIXED, 224, 224, 0f, Channels.RGB, 1 / 255.0,
      List.of(0.0, 0.0, 0.0), List.of(1.0, 1.0, 1.0), Layout.NCHW);

  public Images {
    if (input != null && input.isBlank()) {
      throw new IllegalArgumentException("data.images.input must not be empty");
    }
    Objects.requireNonNull(resize, "resize");
    Objects.requireNonNull(channels, "channels");
    Objects.requireNonNull(layout, "layout");
    if (height < 1 || height > 16384) {
      throw new IllegalArgumentException("data.images.height must be between 1 and 16384, found " + height);
    }
    String widthKey = resize == Resize.FIXED ? "data.images.width" : "data.images.max_width";
    if (width < 1 || width > 16384) {
      throw new IllegalArgumentException(widthKey + " must be between 1 and 16384, found " + width);
    }
    if (!Float.isFinite(padValue)) {
      throw new IllegalArgumentException("data.images.pad_value must be finite, found " + padValue);
    }
    if (!(scale > 0) || !Double.isFinite(scale)) {
      throw new IllegalArgumentException("data.images.scale must be positive, found " + scale);
    }
    mean = three(mean, "mean");
    std = three(std, "std");
    for (double s : std) {
      if (s == 0) {
        throw new IllegalArgumentException("data.images.std must not contain 0, found " + std);
      }
    }
  }

  private static List<Double> three(List<Double> values, String key) {
    if (values == null || values.size() != 3 || values.stream().anyMatch(v -> v == null || !Double.isFinite(v))) {
      throw new IllegalArgumentException("data.images." + key + " must be 3 finite numbers, found " + values);
    }
    return List.copyOf(values);
  }

  /**
   * PaddleOCR's text-line preprocessing: height {@code height}, width up to {@code maxWidth} keeping the aspect
   * ratio, zero right padding, BGR, {@code (x / 255 - 0.5) / 0.5}, NCHW.
   */
  public static Images paddleOcrLine(int height, int maxWidth) {
    return new Images(null, Resize.HEIGHT_KEEP_ASPECT, height, maxWidth, 0f, Channels.BGR, 1 / 255.0,
        List.of(0.5, 0.5, 0.5), List.of(0.5, 0.5, 0.5), Layout.NCHW);
  }

  public Images withInput(String input) {
    return new Images(input, resize, height, width, padValue, channels, scale, mean, std, layout);
  }

  /** Shape of one sample, without the batch dimension. */
  public long[] sampleShape() {
    return layout == Layout.NCHW ? new long[] {3, height, width} : new long[] {height, width, 3};
  }

  /** How images are brought to the model's size. */
  public enum Resize {
    FIXED,
    HEIGHT_KEEP_ASPECT
  }

  /** Channel order of the output. */
  public enum Channels {
    RGB,
    BGR
  }

  /** Tensor layout: channels first or last. */
  public enum Layout {
    NCHW,
    NHWC
  }
}
