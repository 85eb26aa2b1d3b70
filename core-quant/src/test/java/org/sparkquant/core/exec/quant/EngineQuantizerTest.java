package org.sparkquant.core.exec.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.ScalarQuantizer;

/** The vectorized engine path agrees bit for bit with the scalar reference, for every type and granularity. */
class EngineQuantizerTest {

  /** Random data with exact ties (k + 0.5 steps), values far out of range, and zeros. */
  static float[] data(Random r, int n, float[] scalePerElement) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      float s = scalePerElement[i];
      x[i] =
          switch (i % 5) {
            case 0 -> (r.nextInt(40) - 20 + 0.5f) * s;
            case 1 -> (float) r.nextGaussian() * 1000 * s;
            case 2 -> 0f;
            default -> (float) r.nextGaussian() * 4 * s;
          };
    }
    return x;
  }

  static QuantParams randomParams(Random r, QuantType t, Granularity g, long[] shape) {
    long[] ps = g.paramShape(shape);
    int n = 1;
    for (long d : ps) {
      n *= (int) d;
    }
    float[] scale = new float[n];
    int[] zp = new int[n];
    for (int i = 0; i < n; i++) {
      scale[i] = (float) Math.exp(r.nextGaussian() - 3);
      zp[i] = t.isFloat() ? 0 : t.min() + r.nextInt(t.max() - t.min() + 1);
    }
    return new QuantParams(t, g, ps, scale, zp);
  }

  @Test
  void fakeQuantizeMatchesTheScalarReferenceBitForBit() {
    compareWithReference(new long[] {6, 70}, QuantType.values());
  }

  @Test
  void arraysOwnedByTheCallerAreAllThatRemain() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.randomNormal(new Shape(1000, 300));
      QuantParams p = QuantParams.perTensor(QuantType.FP8_E4M3FN, 0.01f, 0);
      int before = m.getManagedArrays().size();
      NDArray y = EngineQuantizer.fakeQuantize(x, p);
      assertEquals(before + 1, m.getManagedArrays().size(), "only the result is left in the caller's manager");
      y.close();
    }
  }

  private static void compareWithReference(long[] shape, QuantType[] types) {
    Random r = new Random(17);
    Granularity[] gs = {Granularity.perTensor(), Granularity.perChannel(0), Granularity.perChannel(1),
        Granularity.perBlock(1, 32), Granularity.perBlock(0, 4)};
    try (NDManager m = NDManager.newBaseManager()) {
      for (QuantType t : types) {
        for (Granularity g : gs) {
          QuantParams p = randomParams(r, t, g, shape);
          int[] idx = ScalarQuantizer.paramIndex(shape, g);
          float[] scales = p.scale();
          float[] perElement = new float[idx.length];
          for (int i = 0; i < idx.length; i++) {
            perElement[i] = scales[idx[i]];
          }
          float[] x = data(r, idx.length, perElement);
          NDArray ours = EngineQuantizer.fakeQuantize(m.create(x, new Shape(shape)), p);
          float[] got = ours.toFloatArray();
          float[] want = ScalarQuantizer.fakeQuantize(x, shape, p);
          for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]),
                t + " " + g + " x=" + x[i] + " want " + want[i] + " got " + got[i]);
          }
        }
      }
    }
  }
}
