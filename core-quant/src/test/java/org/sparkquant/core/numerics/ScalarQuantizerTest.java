package org.sparkquant.core.numerics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ScalarQuantizerTest {

  @Test
  void perTensorElementsShareParameterZero() {
    assertArrayEquals(new int[6], ScalarQuantizer.paramIndex(new long[] {2, 3}, Granularity.perTensor()));
  }

  @Test
  void perChannelElementsUseTheirIndexAlongTheAxis() {
    long[] shape = {2, 3, 2};
    assertArrayEquals(new int[] {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1},
        ScalarQuantizer.paramIndex(shape, Granularity.perChannel(0)));
    assertArrayEquals(new int[] {0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2},
        ScalarQuantizer.paramIndex(shape, Granularity.perChannel(1)));
    assertArrayEquals(new int[] {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1},
        ScalarQuantizer.paramIndex(shape, Granularity.perChannel(-1)));
  }

  @Test
  void perBlockElementsUseTheirBlockIncludingAPartialLastBlock() {
    // [2, 5] in blocks of 2 along axis 1: parameters [2, 3], the third block of each row holds one element.
    assertArrayEquals(new int[] {0, 0, 1, 1, 2, 3, 3, 4, 4, 5},
        ScalarQuantizer.paramIndex(new long[] {2, 5}, Granularity.perBlock(1, 2)));
    // [5, 2] in blocks of 2 along axis 0: parameters [3, 2].
    assertArrayEquals(new int[] {0, 1, 0, 1, 2, 3, 2, 3, 4, 5},
        ScalarQuantizer.paramIndex(new long[] {5, 2}, Granularity.perBlock(0, 2)));
    // [2, 3, 2] in blocks of 2 along the middle axis: parameters [2, 2, 2].
    assertArrayEquals(new int[] {0, 1, 0, 1, 2, 3, 4, 5, 4, 5, 6, 7},
        ScalarQuantizer.paramIndex(new long[] {2, 3, 2}, Granularity.perBlock(1, 2)));
  }

  @Test
  void tiesRoundToEvenBeforeTheZeroPointIsAdded() {
    float[] x = {0.25f, 0.75f, 1.25f, -0.25f, -0.75f, -1.25f};
    long[] shape = {6};
    assertArrayEquals(new int[] {0, 2, 2, 0, -2, -2},
        ScalarQuantizer.quantize(x, shape, QuantParams.perTensor(QuantType.INT8, 0.5f, 0)));
    assertArrayEquals(new int[] {3, 5, 5, 3, 1, 1},
        ScalarQuantizer.quantize(x, shape, QuantParams.perTensor(QuantType.INT8, 0.5f, 3)));
  }

  @Test
  void quantizeDividesByTheScaleRatherThanMultiplyingByItsReciprocal() {
    float scale = 0.3f;
    float x = -14.550001f;
    assertEquals(-48.5f, x / scale); // an exact tie, rounding to -48
    assertNotEquals(-48.5f, x * (1 / scale)); // the reciprocal would give -49
    assertArrayEquals(new int[] {-48},
        ScalarQuantizer.quantize(new float[] {x}, new long[] {1}, QuantParams.perTensor(QuantType.INT8, scale, 0)));
  }

  @Test
  void integerCodesSaturateAtTheTypeRange() {
    float[] x = {100f, -100f, 1e30f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
    long[] shape = {5};
    assertArrayEquals(new int[] {7, -8, 7, -8, 7},
        ScalarQuantizer.quantize(x, shape, QuantParams.perTensor(QuantType.INT4, 1f, 0)));
    assertArrayEquals(new int[] {15, 0, 15, 0, 15},
        ScalarQuantizer.quantize(x, shape, QuantParams.perTensor(QuantType.UINT4, 1f, 3)));
    assertArrayEquals(new int[] {1, -2, 1, -2, 1},
        ScalarQuantizer.quantize(x, shape, QuantParams.perTensor(QuantType.INT2, 1f, 0)));
    assertArrayEquals(new int[] {255, 0, 255, 0, 255},
        ScalarQuantizer.quantize(x, shape, QuantParams.perTensor(QuantType.UINT8, 0.25f, 128)));
    assertArrayEquals(new int[] {32767, -32768, 32767, -32768, 32767},
        ScalarQuantizer.quantize(x, shape, QuantParams.perTensor(QuantType.INT16, 1e-3f, 0)));
  }

  @Test
  void nanBecomesTheZeroPointForIntegerTypes() {
    assertArrayEquals(new int[] {5},
        ScalarQuantizer.quantize(new float[] {Float.NaN}, new long[] {1}, QuantParams.perTensor(QuantType.UINT8, 1f, 5)));
  }

  @Test
  void dequantizeSubtractsTheZeroPointThenScales() {
    QuantParams p = QuantParams.perTensor(QuantType.UINT8, 0.1f, 128);
    float[] y = ScalarQuantizer.dequantize(new int[] {128, 129, 0, 255}, new long[] {4}, p);
    assertArrayEquals(new float[] {0f, 0.1f, -128 * 0.1f, 127 * 0.1f}, y);
  }

  @Test
  void perChannelFakeQuantizeUsesEachChannelsParameters() {
    QuantParams p = new QuantParams(QuantType.INT8, Granularity.perChannel(0), new long[] {2},
        new float[] {0.5f, 2f}, new int[] {0, 1});
    float[] x = {0.3f, 1.0f, 2.9f, -3f};
    // Channel 0: 0.6 -> 1, 2 -> 2. Channel 1: 1.45 -> 1 + 1 = 2, -1.5 -> -2 + 1 = -1.
    assertArrayEquals(new int[] {1, 2, 2, -1}, ScalarQuantizer.quantize(x, new long[] {2, 2}, p));
    assertArrayEquals(new float[] {0.5f, 1f, 2f, -4f}, ScalarQuantizer.fakeQuantize(x, new long[] {2, 2}, p));
  }

  @Test
  void perBlockFakeQuantizeUsesEachBlocksParameters() {
    QuantParams p = new QuantParams(QuantType.INT8, Granularity.perBlock(1, 2), new long[] {1, 3},
        new float[] {1f, 2f, 4f}, new int[] {0, 0, 1});
    float[] x = {1.4f, 2.6f, 3f, 5f, 10f};
    // Blocks {1.4, 2.6} / 1, {3, 5} / 2 = {1.5, 2.5}, {10} / 4 = 2.5 (+1).
    assertArrayEquals(new int[] {1, 3, 2, 2, 3}, ScalarQuantizer.quantize(x, new long[] {1, 5}, p));
    assertArrayEquals(new float[] {1f, 3f, 4f, 4f, 8f}, ScalarQuantizer.fakeQuantize(x, new long[] {1, 5}, p));
  }

  @Test
  void float8CodesEncodeTheScaledValue() {
    QuantParams p = QuantParams.perTensor(QuantType.FP8_E4M3FN, 2f, 0);
    float[] x = {1000f, 3f, -0f, 2.25f};
    // 500 saturates to 448; 1.5 is exact; -0 keeps its sign; 1.125 is exact.
    assertArrayEquals(new int[] {0x7E, 0x3C, 0x80, 0x39}, ScalarQuantizer.quantize(x, new long[] {4}, p));
    float[] y = ScalarQuantizer.fakeQuantize(x, new long[] {4}, p);
    assertArrayEquals(new float[] {896f, 3f, -0f, 2.25f}, y);
    assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(y[2]));
    int[] unsaturated = ScalarQuantizer.quantize(x, new long[] {4}, p, false);
    assertEquals(0x7F, unsaturated[0]);
    assertTrue(Float.isNaN(ScalarQuantizer.fakeQuantize(x, new long[] {4}, p, false)[0]));
  }

  @Test
  void fp4CodesSaturateAndRoundToEven() {
    QuantParams p = QuantParams.perTensor(QuantType.FP4_E2M1, 0.5f, 0);
    float[] x = {1.25f, 100f, -0.125f};
    // 2.5 -> 2 (code 4), 200 -> 6 (code 7), -0.25 -> -0 (code 8).
    assertArrayEquals(new int[] {0x4, 0x7, 0x8}, ScalarQuantizer.quantize(x, new long[] {3}, p));
  }

  @Test
  void parametersThatDoNotFitTheShapeAreRejected() {
    QuantParams p = new QuantParams(QuantType.INT8, Granularity.perChannel(1), new long[] {2},
        new float[] {1f, 1f}, new int[] {0, 0});
    assertThrows(IllegalArgumentException.class, () -> ScalarQuantizer.quantize(new float[6], new long[] {2, 3}, p));
    assertThrows(IllegalArgumentException.class, () -> ScalarQuantizer.quantize(new float[5], new long[] {3, 2}, p));
  }
}
