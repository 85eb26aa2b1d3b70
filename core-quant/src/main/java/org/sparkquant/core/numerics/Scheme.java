package org.sparkquant.core.numerics;

/**
 * How a range {@code [min, max]} becomes a scale and zero point. Every scheme widens the range to include 0, so zero
 * is always exactly representable.
 */
public enum Scheme {
  /**
   * Zero point at the middle of the type; the full code range covers {@code [-amax, amax]}:
   * {@code scale = amax / ((max - min) / 2)} (int8: amax / 127.5). The only scheme for float types, where
   * {@code scale = amax / largest finite}.
   */
  SYMMETRIC,
  /** Symmetric with the code range restricted to {@code [-max, max]}: {@code scale = amax / max} (int8: 127). */
  SYMMETRIC_RESTRICTED,
  /** Scale and zero point fit {@code [min(min, 0), max(max, 0)]} to the full code range. */
  ASYMMETRIC;

  /**
   * Parameters for per-position ranges.
   *
   * @param type target type
   * @param granularity what shares a scale
   * @param paramShape shape of the parameter tensors ({@link Granularity#paramShape})
   * @param min observed minimum per parameter position
   * @param max observed maximum per parameter position
   */
  public QuantParams params(QuantType type, Granularity granularity, long[] paramShape, float[] min, float[] max) {
    if (type.isFloat() && this == ASYMMETRIC) {
      throw new IllegalArgumentException(type + " has no zero point: use a symmetric scheme");
    }
    float[] scale = new float[min.length];
    int[] zp = new int[min.length];
    for (int i = 0; i < min.length; i++) {
      float lo = Math.min(min[i], 0f);
      float hi = Math.max(max[i], 0f);
      if (this == ASYMMETRIC) {
        scale[i] = guard((hi - lo) / (float) (type.max() - type.min()), hi - lo);
        zp[i] = (int) Math.max(type.min(), Math.min(type.max(), Math.rint(type.min() - lo / scale[i])));
      } else {
        float amax = Math.max(-lo, hi);
        float denom =
            type.isFloat() ? type.max()
                : this == SYMMETRIC ? (type.max() - type.min()) / 2f : type.max();
        scale[i] = guard(amax / denom, amax);
        zp[i] = type.isSigned() ? 0 : (type.max() + 1) / 2;
      }
    }
    return new QuantParams(type, granularity, paramShape, scale, zp);
  }

  /**
   * A zero range (all-zero or constant-zero data) gets scale 1, so zero maps to the zero point; ranges so small that
   * the scale would not be a normal float get the smallest normal scale.
   */
  private static float guard(float scale, float range) {
    if (range == 0f) {
      return 1f;
    }
    return Math.max(scale, Float.MIN_NORMAL);
  }
}
