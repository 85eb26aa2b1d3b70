package org.sparkquant.core.numerics;

import java.util.Arrays;

/**
 * The reference quantizer: one element at a time, in float32 arithmetic exactly as ONNX Runtime's CPU
 * QuantizeLinear/DequantizeLinear compute it, so faster implementations can be checked against it bit for bit.
 *
 * <ul>
 *   <li>Integer types: {@code q = clamp(rint(x / scale) + zp, min, max)}, with {@code x / scale} a float division
 *       (not a multiplication by the reciprocal) and {@code rint} rounding half to even.
 *   <li>Float types: {@code code = encode(x / scale)}, saturating or not (see {@link SmallFloats}); the zero point is
 *       0.
 *   <li>Dequantize: {@code (float) (q - zp) * scale}, or {@code decode(code) * scale} for float types.
 * </ul>
 *
 * <p>ONNX leaves NaN inputs to integer types unspecified (ONNX Runtime's result depends on the CPU's instructions);
 * here they become the zero point. Float types keep NaN as their NaN code (FP4: +6).
 *
 * <p>Where ONNX Runtime 1.29 (CPU) departs from the ONNX semantics this follows the semantics: float8 without
 * saturation in two overflow windows (see {@link SmallFloats}), and 4- and 2-bit codes of quotients of magnitude
 * {@code 2^31} or more, which ONNX Runtime converts to int32 before clamping and which always saturate here. (Its
 * INT2/UINT2 per-channel QuantizeLinear with nothing after the channel axis also reads other channels' parameters.)
 */
public final class ScalarQuantizer {
  private ScalarQuantizer() {}

  /** Codes of {@code x} (shape {@code shape}): integer values, or bit patterns for float types (saturating). */
  public static int[] quantize(float[] x, long[] shape, QuantParams p) {
    return quantize(x, shape, p, true);
  }

  /** As {@link #quantize(float[], long[], QuantParams)} with ONNX's {@code saturate} (float types only). */
  public static int[] quantize(float[] x, long[] shape, QuantParams p, boolean saturate) {
    int[] index = indexFor(x.length, shape, p);
    float[] scale = p.scale();
    int[] zp = p.zeroPoint();
    QuantType t = p.type();
    int[] q = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      int k = index[i];
      q[i] = quantize(t, x[i], scale[k], zp[k], saturate);
    }
    return q;
  }

  /** Values of {@code codes} (shape {@code shape}). */
  public static float[] dequantize(int[] codes, long[] shape, QuantParams p) {
    int[] index = indexFor(codes.length, shape, p);
    float[] scale = p.scale();
    int[] zp = p.zeroPoint();
    QuantType t = p.type();
    float[] y = new float[codes.length];
    for (int i = 0; i < codes.length; i++) {
      int k = index[i];
      y[i] = dequantize(t, codes[i], scale[k], zp[k]);
    }
    return y;
  }

  /** {@code dequantize(quantize(x))}: what a QuantizeLinear → DequantizeLinear pair outputs. */
  public static float[] fakeQuantize(float[] x, long[] shape, QuantParams p) {
    return fakeQuantize(x, shape, p, true);
  }

  /** As {@link #fakeQuantize(float[], long[], QuantParams)} with ONNX's {@code saturate} (float types only). */
  public static float[] fakeQuantize(float[] x, long[] shape, QuantParams p, boolean saturate) {
    return dequantize(quantize(x, shape, p, saturate), shape, p);
  }

  /** One element's code. */
  public static int quantize(QuantType t, float x, float scale, int zeroPoint, boolean saturate) {
    float v = x / scale;
    if (t.isFloat()) {
      return SmallFloats.encode(t, v, saturate);
    }
    if (Float.isNaN(v)) {
      return zeroPoint;
    }
    // rint(v) + zp is exact in double and cannot overflow; clamping before the int conversion keeps ±Inf and huge
    // values at the ends of the range.
    double q = Math.rint(v) + zeroPoint;
    return (int) Math.max(t.min(), Math.min(t.max(), q));
  }

  /** One element's value. */
  public static float dequantize(QuantType t, int code, float scale, int zeroPoint) {
    if (t.isFloat()) {
      return SmallFloats.decode(t, code) * scale;
    }
    return (float) (code - zeroPoint) * scale;
  }

  /**
   * For each element of a tensor of shape {@code shape}, in row-major order, the index of its scale and zero point
   * in the row-major parameter layout of {@link Granularity#paramShape}: 0 per tensor, the index along the axis per
   * channel, and per block the parameter position with the axis index divided by the block size (the last block may
   * be partial).
   */
  public static int[] paramIndex(long[] shape, Granularity g) {
    long count = 1;
    for (long d : shape) {
      count = Math.multiplyExact(count, d);
    }
    int n = Math.toIntExact(count);
    int[] index = new int[n];
    if (g instanceof Granularity.PerTensor) {
      return index;
    }
    g.paramShape(shape); // validates the axis
    int a = g.axis(shape.length);
    long inner = 1;
    for (int d = a + 1; d < shape.length; d++) {
      inner *= shape[d];
    }
    long len = shape[a];
    if (g instanceof Granularity.PerChannel) {
      for (int i = 0; i < n; i++) {
        index[i] = (int) (i / inner % len);
      }
      return index;
    }
    int block = ((Granularity.PerBlock) g).blockSize();
    long blocks = (len + block - 1) / block;
    for (int i = 0; i < n; i++) {
      long outer = i / (inner * len);
      long j = i / inner % len;
      index[i] = (int) ((outer * blocks + j / block) * inner + i % inner);
    }
    return index;
  }

  private static int[] indexFor(int length, long[] shape, QuantParams p) {
    long[] expected = p.granularity().paramShape(shape);
    if (!Arrays.equals(expected, p.paramShape())) {
      throw new IllegalArgumentException(
          "parameters of shape " + Arrays.toString(p.paramShape()) + " do not fit data of shape "
              + Arrays.toString(shape) + " with " + p.granularity() + ", expected " + Arrays.toString(expected));
    }
    int[] index = paramIndex(shape, p.granularity());
    if (index.length != length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " has " + index.length + " elements, found " + length);
    }
    return index;
  }
}
