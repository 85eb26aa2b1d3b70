package org.sparkquant.core.numerics;

/**
 * Bit-exact conversions between float32 and the small float formats ONNX quantizes to: FP8 E4M3FN, FP8 E5M2 and FP4
 * E2M1. Encoding rounds to nearest, ties to even, on the exact float32 value (subnormals included), as ONNX's
 * {@code Cast} and {@code QuantizeLinear} do; the codes are the formats' bit patterns (sign in the top bit).
 *
 * <p>Out of range: with {@code saturate} a finite value beyond the largest finite value, and ±Inf, become ±max (ONNX
 * {@code saturate=1}); without it a value that rounds beyond ±max, and ±Inf, become NaN (E4M3FN, which has no
 * infinities) or ±Inf (E5M2). NaN: a NaN input becomes the NaN code with the input's sign ({@code 0x7F}/{@code 0xFF});
 * E5M2's other NaN codes ({@code 0x7D}, {@code 0x7E} and their negatives) decode to NaN too. FP4 has neither NaN nor
 * infinities: it always saturates, and NaN becomes +6 ({@code 0x7}), as the ONNX float4 specification says. Decoded
 * NaNs are {@link Float#NaN}.
 *
 * <p>"Beyond ±max" means after rounding (as ml_dtypes and ONNX's reference implementation convert): without saturation
 * E4M3FN 464 (a tie) still gives 448, and E5M2 61440 (a tie to the odd code 57344) gives +Inf. ONNX Runtime 1.29's CPU
 * conversion differs only without saturation, for E4M3FN {@code 480 <= |x| < 496} (±448, not NaN) and E5M2
 * {@code 61440 <= |x| < 65536} (NaN, not ±Inf).
 */
public final class SmallFloats {
  /** E4M3FN: largest finite magnitude code (448) and the NaN magnitude code. */
  private static final int E4M3_MAX = 0x7E;
  private static final int E4M3_NAN = 0x7F;
  /** E5M2: largest finite magnitude code (57344), +Inf and the NaN code this encoder produces. */
  private static final int E5M2_MAX = 0x7B;
  private static final int E5M2_INF = 0x7C;
  private static final int E5M2_NAN = 0x7F;
  /** E2M1: largest magnitude code (6). */
  private static final int E2M1_MAX = 0x7;

  private SmallFloats() {}

  /** FP8 E4M3FN code (0..255) of {@code x}; see the class comment for out-of-range and NaN inputs. */
  public static int encodeE4M3FN(float x, boolean saturate) {
    int sign = signBit(x, 8);
    if (Float.isNaN(x)) {
      return sign | E4M3_NAN;
    }
    int m = Float.isInfinite(x) ? E4M3_MAX + 1 : magnitude(x, 3, 7);
    if (m > E4M3_MAX) {
      m = saturate ? E4M3_MAX : E4M3_NAN;
    }
    return sign | m;
  }

  /** The value of an FP8 E4M3FN code; {@code 0x7F} and {@code 0xFF} are NaN. */
  public static float decodeE4M3FN(int bits) {
    checkCode(bits, 8);
    if ((bits & 0x7F) == E4M3_NAN) {
      return Float.NaN;
    }
    return value(bits, 8, 3, 7);
  }

  /** FP8 E5M2 code (0..255) of {@code x}; see the class comment for out-of-range and NaN inputs. */
  public static int encodeE5M2(float x, boolean saturate) {
    int sign = signBit(x, 8);
    if (Float.isNaN(x)) {
      return sign | E5M2_NAN;
    }
    int m = Float.isInfinite(x) ? E5M2_INF : magnitude(x, 2, 15);
    if (m > E5M2_MAX) {
      m = saturate ? E5M2_MAX : E5M2_INF;
    }
    return sign | m;
  }

  /** The value of an FP8 E5M2 code: exponent field 31 is ±Inf with a zero mantissa and NaN otherwise. */
  public static float decodeE5M2(int bits) {
    checkCode(bits, 8);
    int m = bits & 0x7F;
    if (m == E5M2_INF) {
      return (bits & 0x80) != 0 ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
    }
    if (m > E5M2_INF) {
      return Float.NaN;
    }
    return value(bits, 8, 2, 15);
  }

  /** FP4 E2M1 code (0..15) of {@code x}, always saturating to ±6; NaN becomes +6. */
  public static int encodeE2M1(float x) {
    if (Float.isNaN(x)) {
      return E2M1_MAX;
    }
    int m = Float.isInfinite(x) ? E2M1_MAX : Math.min(magnitude(x, 1, 1), E2M1_MAX);
    return signBit(x, 4) | m;
  }

  /** The value of an FP4 E2M1 code: ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}. */
  public static float decodeE2M1(int bits) {
    checkCode(bits, 4);
    return value(bits, 4, 1, 1);
  }

  /** Float code of {@code x} for a float type (bit pattern), saturating or not as ONNX's {@code saturate}. */
  public static int encode(QuantType t, float x, boolean saturate) {
    return switch (t) {
      case FP8_E4M3FN -> encodeE4M3FN(x, saturate);
      case FP8_E5M2 -> encodeE5M2(x, saturate);
      case FP4_E2M1 -> encodeE2M1(x);
      default -> throw new IllegalArgumentException(t + " is not a float type");
    };
  }

  /** Value of a float type's code. */
  public static float decode(QuantType t, int bits) {
    return switch (t) {
      case FP8_E4M3FN -> decodeE4M3FN(bits);
      case FP8_E5M2 -> decodeE5M2(bits);
      case FP4_E2M1 -> decodeE2M1(bits);
      default -> throw new IllegalArgumentException(t + " is not a float type");
    };
  }

  /** {@code x} rounded to the nearest value of float type {@code t}, saturating: encode then decode. */
  public static float round(QuantType t, float x) {
    return decode(t, encode(t, x, true));
  }

  private static int signBit(float x, int width) {
    return (Float.floatToRawIntBits(x) >>> 31) << (width - 1);
  }

  /**
   * Magnitude code of finite {@code |x|} rounded half to even, in a format with {@code mantissaBits} and
   * {@code bias}, with an unbounded exponent: results above the format's largest code are left to the caller.
   *
   * <p>The quantum (value of one unit in the last place) is {@code 2^(max(e, emin) - mantissaBits)}; scaling by it is
   * exact in double, so {@link Math#rint} rounds the exact value. The code {@code ((max(e, emin) + bias - 1) <<
   * mantissaBits) + r} covers subnormals (biased exponent 0) and a carry into the next binade alike.
   */
  private static int magnitude(float x, int mantissaBits, int bias) {
    double a = Math.abs((double) x);
    if (a == 0) {
      return 0;
    }
    int emin = 1 - bias;
    int e = Math.max(Math.getExponent(a), emin);
    double r = Math.rint(Math.scalb(a, mantissaBits - e));
    return ((e + bias - 1) << mantissaBits) + (int) r;
  }

  /** Value of a finite code: {@code mantissa · 2^(1 - bias - M)} for subnormals, else {@code (1.m) · 2^(e - bias)}. */
  private static float value(int bits, int width, int mantissaBits, int bias) {
    int magnitude = bits & ((1 << (width - 1)) - 1);
    int exponent = magnitude >>> mantissaBits;
    int mantissa = magnitude & ((1 << mantissaBits) - 1);
    float v =
        exponent == 0
            ? Math.scalb((float) mantissa, 1 - bias - mantissaBits)
            : Math.scalb((float) ((1 << mantissaBits) + mantissa), exponent - bias - mantissaBits);
    return (bits >>> (width - 1)) != 0 ? -v : v;
  }

  private static void checkCode(int bits, int width) {
    if (bits < 0 || bits >= 1 << width) {
      throw new IllegalArgumentException("code " + bits + " does not fit in " + width + " bits");
    }
  }
}
