package org.sparkquant.core.numerics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SchemeTest {
  private static QuantParams one(Scheme s, QuantType t, float min, float max) {
    return s.params(t, Granularity.perTensor(), new long[0], new float[] {min}, new float[] {max});
  }

  @Test
  void symmetricInt8UsesTheFullRangeAndRestrictedUses127() {
    assertEquals(2.55f / 127.5f, one(Scheme.SYMMETRIC, QuantType.INT8, -1f, 2.55f).scale()[0]);
    assertEquals(2.54f / 127f, one(Scheme.SYMMETRIC_RESTRICTED, QuantType.INT8, -2.54f, 1f).scale()[0]);
    assertEquals(0, one(Scheme.SYMMETRIC, QuantType.INT8, -1f, 1f).zeroPoint()[0]);
    assertEquals(128, one(Scheme.SYMMETRIC, QuantType.UINT8, -1f, 1f).zeroPoint()[0]);
  }

  @Test
  void asymmetricWidensTheRangeToIncludeZero() {
    QuantParams p = one(Scheme.ASYMMETRIC, QuantType.UINT8, 1f, 3f);
    assertEquals(3f / 255f, p.scale()[0]);
    assertEquals(0, p.zeroPoint()[0]);
    QuantParams q = one(Scheme.ASYMMETRIC, QuantType.UINT8, -1f, 3f);
    assertEquals(4f / 255f, q.scale()[0]);
    assertEquals(64, q.zeroPoint()[0]);
  }

  @Test
  void zeroIsExactlyRepresentableForEverySchemeAndType() {
    Random r = new Random(2);
    for (QuantType t : QuantType.values()) {
      for (Scheme s : Scheme.values()) {
        if (t.isFloat() && s == Scheme.ASYMMETRIC) {
          continue;
        }
        for (int i = 0; i < 50; i++) {
          float a = (float) r.nextGaussian() * 10;
          float b = (float) r.nextGaussian() * 10;
          QuantParams p = one(s, t, Math.min(a, b), Math.max(a, b));
          assertEquals(0f, ScalarQuantizer.fakeQuantize(new float[] {0f}, new long[] {1}, p)[0], t + " " + s);
        }
      }
    }
  }

  @Test
  void allZeroAndConstantTensorsGetWellDefinedParameters() {
    QuantParams zero = one(Scheme.ASYMMETRIC, QuantType.UINT8, 0f, 0f);
    assertEquals(1f, zero.scale()[0]);
    QuantParams constant = one(Scheme.SYMMETRIC, QuantType.INT8, 5f, 5f);
    assertArrayEquals(new float[] {5f / 127.5f}, constant.scale());
    float[] fq = ScalarQuantizer.fakeQuantize(new float[] {5f}, new long[] {1}, constant);
    assertEquals(5f, fq[0], 5f / 127.5f);
  }

  @Test
  void floatTypesAreSymmetricOnly() {
    assertEquals(448f / 448f, one(Scheme.SYMMETRIC, QuantType.FP8_E4M3FN, -448f, 1f).scale()[0]);
    assertThrows(IllegalArgumentException.class, () -> one(Scheme.ASYMMETRIC, QuantType.FP8_E4M3FN, -1f, 1f));
  }
}
