package org.sparkquant.core.numerics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SmallFloatsTest {
  private static final QuantType E4M3 = QuantType.FP8_E4M3FN;
  private static final QuantType E5M2 = QuantType.FP8_E5M2;
  private static final QuantType E2M1 = QuantType.FP4_E2M1;
  private static final float NEGATIVE_NAN = Float.intBitsToFloat(0xFFC00000);

  @Test
  void e4m3fnCodesDecodeToTheirValues() {
    assertEquals(0f, SmallFloats.decodeE4M3FN(0x00));
    assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(SmallFloats.decodeE4M3FN(0x80)));
    assertEquals(0x1p-9f, SmallFloats.decodeE4M3FN(0x01)); // smallest subnormal
    assertEquals(7 * 0x1p-9f, SmallFloats.decodeE4M3FN(0x07)); // largest subnormal
    assertEquals(0x1p-6f, SmallFloats.decodeE4M3FN(0x08)); // smallest normal
    assertEquals(1f, SmallFloats.decodeE4M3FN(0x38));
    assertEquals(1.125f, SmallFloats.decodeE4M3FN(0x39));
    assertEquals(448f, SmallFloats.decodeE4M3FN(0x7E));
    assertEquals(-448f, SmallFloats.decodeE4M3FN(0xFE));
    assertTrue(Float.isNaN(SmallFloats.decodeE4M3FN(0x7F)));
    assertTrue(Float.isNaN(SmallFloats.decodeE4M3FN(0xFF)));
  }

  @Test
  void e5m2CodesDecodeToTheirValues() {
    assertEquals(0x1p-16f, SmallFloats.decodeE5M2(0x01)); // smallest subnormal
    assertEquals(0x1p-14f, SmallFloats.decodeE5M2(0x04)); // smallest normal
    assertEquals(1f, SmallFloats.decodeE5M2(0x3C));
    assertEquals(1.25f, SmallFloats.decodeE5M2(0x3D));
    assertEquals(57344f, SmallFloats.decodeE5M2(0x7B));
    assertEquals(-57344f, SmallFloats.decodeE5M2(0xFB));
    assertEquals(Float.POSITIVE_INFINITY, SmallFloats.decodeE5M2(0x7C));
    assertEquals(Float.NEGATIVE_INFINITY, SmallFloats.decodeE5M2(0xFC));
    for (int nan : new int[] {0x7D, 0x7E, 0x7F, 0xFD, 0xFE, 0xFF}) {
      assertTrue(Float.isNaN(SmallFloats.decodeE5M2(nan)), Integer.toHexString(nan));
    }
  }

  @Test
  void every8BitCodeRoundTripsThroughDecodeAndEncode() {
    for (QuantType t : new QuantType[] {E4M3, E5M2}) {
      for (int c = 0; c < 256; c++) {
        float v = SmallFloats.decode(t, c);
        for (boolean saturate : new boolean[] {true, false}) {
          int back = SmallFloats.encode(t, v, saturate);
          if (Float.isNaN(v)) {
            assertTrue(Float.isNaN(SmallFloats.decode(t, back)), t + " NaN code " + c + " came back as " + back);
          } else if (Float.isInfinite(v)) {
            int max = (c & 0x80) | (t == E5M2 ? 0x7B : 0x7E);
            assertEquals(saturate ? max : c, back, t + " infinity " + c);
          } else {
            assertEquals(c, back, t + " code " + c + " = " + v + " saturate " + saturate);
          }
        }
      }
    }
  }

  @Test
  void every4BitCodeRoundTripsThroughDecodeAndEncode() {
    float[] magnitudes = {0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f};
    for (int c = 0; c < 16; c++) {
      float expected = (c & 8) != 0 ? -magnitudes[c & 7] : magnitudes[c & 7];
      float v = SmallFloats.decodeE2M1(c);
      assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(v), "code " + c);
      assertEquals(c, SmallFloats.encodeE2M1(v), "value " + v);
    }
  }

  @Test
  void midpointsRoundToEvenCode() {
    for (QuantType t : new QuantType[] {E4M3, E5M2, E2M1}) {
      int largest = t == E4M3 ? 0x7E : t == E5M2 ? 0x7B : 0x7;
      int signBit = t == E2M1 ? 0x8 : 0x80;
      for (int c = 0; c < largest; c++) {
        float lo = SmallFloats.decode(t, c);
        float hi = SmallFloats.decode(t, c + 1);
        float mid = (lo + hi) / 2; // exact: small floats have few significant bits
        int even = c % 2 == 0 ? c : c + 1;
        for (int sign : new int[] {0, signBit}) {
          float s = sign == 0 ? 1 : -1;
          String at = t + " between codes " + c + " and " + (c + 1) + " sign " + sign;
          assertEquals(sign | even, SmallFloats.encode(t, s * mid, true), at);
          assertEquals(sign | even, SmallFloats.encode(t, s * mid, false), at);
          assertEquals(sign | c, SmallFloats.encode(t, s * Math.nextDown(mid), true), at);
          assertEquals(sign | (c + 1), SmallFloats.encode(t, s * Math.nextUp(mid), true), at);
        }
      }
    }
  }

  @Test
  void encodingPicksTheNearestValueWithTiesToTheEvenCode() {
    Random random = new Random(7);
    for (QuantType t : new QuantType[] {E4M3, E5M2, E2M1}) {
      for (int i = 0; i < 20000; i++) {
        // Magnitudes from below the smallest subnormal to beyond the largest value.
        int exponent = t == E4M3 ? random.nextInt(23) - 12 : t == E5M2 ? random.nextInt(36) - 19 : random.nextInt(8) - 4;
        float x = (float) Math.scalb(random.nextDouble(), exponent);
        x = random.nextBoolean() ? -x : x;
        assertEquals(nearestCode(t, x), SmallFloats.encode(t, x, true), t + " " + x);
      }
    }
  }

  @Test
  void subnormalsRoundToNearestEven() {
    // E4M3FN subnormals are multiples of 2^-9.
    assertEquals(0x00, SmallFloats.encodeE4M3FN(0x1p-10f, true)); // half the smallest: tie to zero
    assertEquals(0x01, SmallFloats.encodeE4M3FN(Math.nextUp(0x1p-10f), true));
    assertEquals(0x02, SmallFloats.encodeE4M3FN(3 * 0x1p-10f, true)); // 1.5 units: tie to 2
    assertEquals(0x02, SmallFloats.encodeE4M3FN(5 * 0x1p-10f, true)); // 2.5 units: tie to 2
    assertEquals(0x08, SmallFloats.encodeE4M3FN(15 * 0x1p-10f, true)); // 7.5 units: tie to the smallest normal
    assertEquals(0x00, SmallFloats.encodeE4M3FN(Float.MIN_VALUE, true));
    assertEquals(0x80, SmallFloats.encodeE4M3FN(-0x1p-10f, true));
    // E5M2 subnormals are multiples of 2^-16.
    assertEquals(0x00, SmallFloats.encodeE5M2(0x1p-17f, true));
    assertEquals(0x01, SmallFloats.encodeE5M2(Math.nextUp(0x1p-17f), true));
    assertEquals(0x02, SmallFloats.encodeE5M2(3 * 0x1p-17f, true));
    assertEquals(0x04, SmallFloats.encodeE5M2(7 * 0x1p-17f, true)); // 3.5 units: tie to the smallest normal
    assertEquals(0x83, SmallFloats.encodeE5M2(-3 * 0x1p-16f, true));
  }

  @Test
  void signedZeroKeepsItsSign() {
    assertEquals(0x00, SmallFloats.encodeE4M3FN(0f, false));
    assertEquals(0x80, SmallFloats.encodeE4M3FN(-0f, false));
    assertEquals(0x80, SmallFloats.encodeE5M2(-0f, false));
    assertEquals(0x8, SmallFloats.encodeE2M1(-0f));
    assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(SmallFloats.decodeE5M2(0x80)));
  }

  @Test
  void saturationClampsToTheLargestFiniteValue() {
    assertEquals(0x7E, SmallFloats.encodeE4M3FN(449f, true));
    assertEquals(0x7E, SmallFloats.encodeE4M3FN(1e9f, true));
    assertEquals(0xFE, SmallFloats.encodeE4M3FN(-1e9f, true));
    assertEquals(0x7E, SmallFloats.encodeE4M3FN(Float.POSITIVE_INFINITY, true));
    assertEquals(0xFE, SmallFloats.encodeE4M3FN(Float.NEGATIVE_INFINITY, true));
    assertEquals(0x7B, SmallFloats.encodeE5M2(61440f, true));
    assertEquals(0x7B, SmallFloats.encodeE5M2(Float.MAX_VALUE, true));
    assertEquals(0xFB, SmallFloats.encodeE5M2(-1e9f, true));
    assertEquals(0x7B, SmallFloats.encodeE5M2(Float.POSITIVE_INFINITY, true));
    assertEquals(0xFB, SmallFloats.encodeE5M2(Float.NEGATIVE_INFINITY, true));
    assertEquals(0x7, SmallFloats.encodeE2M1(6.5f));
    assertEquals(0xF, SmallFloats.encodeE2M1(-1e9f));
    assertEquals(0x7, SmallFloats.encodeE2M1(Float.POSITIVE_INFINITY));
    assertEquals(0xF, SmallFloats.encodeE2M1(Float.NEGATIVE_INFINITY));
  }

  @Test
  void withoutSaturationValuesRoundingBeyondMaxOverflow() {
    // E4M3FN: 464 is the tie between 448 and the (unrepresentable) next step 480; it rounds to even 448.
    assertEquals(0x7E, SmallFloats.encodeE4M3FN(464f, false));
    assertEquals(0x7F, SmallFloats.encodeE4M3FN(Math.nextUp(464f), false));
    assertEquals(0x7F, SmallFloats.encodeE4M3FN(480f, false));
    assertEquals(0xFF, SmallFloats.encodeE4M3FN(-1e9f, false));
    assertEquals(0x7F, SmallFloats.encodeE4M3FN(Float.POSITIVE_INFINITY, false));
    assertEquals(0xFF, SmallFloats.encodeE4M3FN(Float.NEGATIVE_INFINITY, false));
    // E5M2: 61440 is the tie between 57344 (odd code) and 65536, so it rounds up and overflows to infinity.
    assertEquals(0x7B, SmallFloats.encodeE5M2(Math.nextDown(61440f), false));
    assertEquals(0x7C, SmallFloats.encodeE5M2(61440f, false));
    assertEquals(0xFC, SmallFloats.encodeE5M2(-1e9f, false));
    assertEquals(0x7C, SmallFloats.encodeE5M2(Float.POSITIVE_INFINITY, false));
    assertEquals(0xFC, SmallFloats.encodeE5M2(Float.NEGATIVE_INFINITY, false));
  }

  @Test
  void nanEncodesToTheNanCodeWithItsSign() {
    for (boolean saturate : new boolean[] {true, false}) {
      assertEquals(0x7F, SmallFloats.encodeE4M3FN(Float.NaN, saturate));
      assertEquals(0xFF, SmallFloats.encodeE4M3FN(NEGATIVE_NAN, saturate));
      assertEquals(0x7F, SmallFloats.encodeE5M2(Float.NaN, saturate));
      assertEquals(0xFF, SmallFloats.encodeE5M2(NEGATIVE_NAN, saturate));
    }
    assertEquals(0x7, SmallFloats.encodeE2M1(Float.NaN)); // FP4 has no NaN: +6
    assertEquals(0x7, SmallFloats.encodeE2M1(NEGATIVE_NAN));
  }

  @Test
  void e2m1RoundsEveryBoundaryToNearestEven() {
    float[] inputs = {0.25f, Math.nextUp(0.25f), 0.75f, Math.nextDown(0.75f), 1.25f, Math.nextUp(1.25f), 1.75f,
        Math.nextDown(1.75f), 2.5f, Math.nextUp(2.5f), 3.5f, Math.nextDown(3.5f), 5f, Math.nextUp(5f), 6f, 7f, -0.25f,
        -2.5f, -5f, -Math.nextUp(5f)};
    int[] codes = {0x0, 0x1, 0x2, 0x1, 0x2, 0x3, 0x4, 0x3, 0x4, 0x5, 0x6, 0x5, 0x6, 0x7, 0x7, 0x7, 0x8, 0xC, 0xE, 0xF};
    for (int i = 0; i < inputs.length; i++) {
      assertEquals(codes[i], SmallFloats.encodeE2M1(inputs[i]), "E2M1 of " + inputs[i]);
    }
  }

  @Test
  void roundEncodesThenDecodes() {
    assertEquals(448f, SmallFloats.round(E4M3, 500f));
    assertEquals(0.3125f, SmallFloats.round(E4M3, 0.3f));
    assertEquals(57344f, SmallFloats.round(E5M2, 1e6f));
    assertEquals(3f, SmallFloats.round(E2M1, 2.6f));
    assertEquals(-6f, SmallFloats.round(E2M1, -100f));
  }

  @Test
  void invalidCodesAndIntegerTypesAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> SmallFloats.decodeE4M3FN(256));
    assertThrows(IllegalArgumentException.class, () -> SmallFloats.decodeE2M1(16));
    assertThrows(IllegalArgumentException.class, () -> SmallFloats.decodeE5M2(-1));
    assertThrows(IllegalArgumentException.class, () -> SmallFloats.encode(QuantType.INT8, 1f, true));
  }

  /** Brute force: the finite code whose value is nearest to {@code x}, ties to the even code, clamped to max. */
  private static int nearestCode(QuantType t, float x) {
    int codes = t == E2M1 ? 16 : 256;
    int best = -1;
    double bestDistance = Double.POSITIVE_INFINITY;
    for (int c = 0; c < codes; c++) {
      float v = SmallFloats.decode(t, c);
      boolean sameSign = (Float.floatToRawIntBits(v) < 0) == (Float.floatToRawIntBits(x) < 0);
      if (!Float.isFinite(v) || !sameSign) {
        continue;
      }
      double d = Math.abs((double) v - x);
      if (d < bestDistance || d == bestDistance && c % 2 == 0) {
        best = c;
        bestDistance = d;
      }
    }
    return best;
  }
}
