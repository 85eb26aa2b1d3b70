package org.sparkquant.core.numerics;

import java.util.Arrays;

/**
 * Frozen quantization parameters of one tensor: type, granularity, and the scales and zero points laid out in
 * {@code paramShape} (row-major), exactly as ONNX's QuantizeLinear/DequantizeLinear take them.
 *
 * @param type target type
 * @param granularity what shares a scale
 * @param paramShape shape of the scale and zero-point tensors
 * @param scale positive finite scales, one per parameter position
 * @param zeroPoint zero points (all 0 for float types)
 */
public record QuantParams(
    QuantType type, Granularity granularity, long[] paramShape, float[] scale, int[] zeroPoint) {

  public QuantParams {
    paramShape = paramShape.clone();
    scale = scale.clone();
    zeroPoint = zeroPoint.clone();
    long n = 1;
    for (long d : paramShape) {
      n *= d;
    }
    if (scale.length != n || zeroPoint.length != n) {
      throw new IllegalArgumentException(
          "parameter shape " + Arrays.toString(paramShape) + " needs " + n + " scales and zero points, found "
              + scale.length + " and " + zeroPoint.length);
    }
    for (int i = 0; i < scale.length; i++) {
      if (!(scale[i] > 0) || Float.isInfinite(scale[i])) {
        throw new IllegalArgumentException("scale[" + i + "] must be positive and finite, found " + scale[i]);
      }
      if (zeroPoint[i] < type.min() || zeroPoint[i] > type.max() || type.isFloat() && zeroPoint[i] != 0) {
        throw new IllegalArgumentException(
            "zero point[" + i + "] = " + zeroPoint[i] + " is outside " + type + "'s range");
      }
    }
  }

  /** Per-tensor parameters. */
  public static QuantParams perTensor(QuantType type, float scale, int zeroPoint) {
    return new QuantParams(type, Granularity.perTensor(), new long[0], new float[] {scale}, new int[] {zeroPoint});
  }

  @Override
  public float[] scale() {
    return scale.clone();
  }

  @Override
  public int[] zeroPoint() {
    return zeroPoint.clone();
  }

  @Override
  public long[] paramShape() {
    return paramShape.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof QuantParams p && type == p.type && granularity.equals(p.granularity)
        && Arrays.equals(paramShape, p.paramShape) && Arrays.equals(scale, p.scale)
        && Arrays.equals(zeroPoint, p.zeroPoint);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * type.hashCode() + granularity.hashCode()) + Arrays.hashCode(scale);
  }

  @Override
  public String toString() {
    return "QuantParams[" + type + " " + granularity + " scale=" + Arrays.toString(scale) + " zp="
        + Arrays.toString(zeroPoint) + "]";
  }
}
