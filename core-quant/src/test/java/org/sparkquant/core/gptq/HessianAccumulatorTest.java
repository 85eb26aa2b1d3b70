package org.sparkquant.core.gptq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HessianAccumulatorTest {
  private NDManager m;

  @BeforeEach
  void open() {
    m = NDManager.newBaseManager();
  }

  @AfterEach
  void close() {
    m.close();
  }

  private static float[] random(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextGaussian() * (1 + i % 7));
    }
    return v;
  }

  @Test
  void hessianIsTwiceTheMeanOuterProductOfTheRows() {
    Random r = new Random(1);
    int n = 50;
    int d = 9;
    float[] x = random(r, n * d);
    HessianAccumulator a = new HessianAccumulator(d);
    a.add(m.create(x, new Shape(n, d)));
    double[] h = a.hessian();
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        double s = 0;
        for (int k = 0; k < n; k++) {
          s += (double) x[k * d + i] * x[k * d + j];
        }
        assertEquals(2 * s / n, h[i * d + j], 1e-12 * Math.abs(2 * s / n) + 1e-300, "H[" + i + ", " + j + "]");
      }
    }
    assertEquals(n, a.rows());
  }

  @Test
  void mergedShardsEqualOneAccumulationOverAllRows() {
    Random r = new Random(2);
    int n = 300;
    int d = 40;
    float[] x = random(r, n * d);
    HessianAccumulator all = new HessianAccumulator(d);
    all.add(m.create(x, new Shape(n, d)));
    HessianAccumulator merged = new HessianAccumulator(d);
    int[] cuts = {0, 17, 120, 121, 260, n};
    for (int s = 0; s + 1 < cuts.length; s++) {
      HessianAccumulator shard = new HessianAccumulator(d);
      float[] part = java.util.Arrays.copyOfRange(x, cuts[s] * d, cuts[s + 1] * d);
      shard.add(m.create(part, new Shape(cuts[s + 1] - cuts[s], d)));
      merged.merge(shard);
    }
    assertEquals(all.rows(), merged.rows());
    double[] expected = all.upperTriangle();
    double[] actual = merged.upperTriangle();
    for (int k = 0; k < expected.length; k++) {
      assertEquals(expected[k], actual[k], 1e-12 * Math.abs(expected[k]), "S value " + k);
    }
  }

  @Test
  void maskedRowsAreLeftOut() {
    Random r = new Random(3);
    int batch = 3;
    int tokens = 7;
    int d = 5;
    float[] x = random(r, batch * tokens * d);
    long[] mask = new long[batch * tokens];
    int kept = 0;
    for (int i = 0; i < mask.length; i++) {
      mask[i] = i % tokens < 2 + 2 * (i / tokens) ? 1 : 0; // a padded batch: 2, 4 and 6 real tokens
      kept += (int) mask[i];
    }
    float[] real = new float[kept * d];
    for (int i = 0, k = 0; i < mask.length; i++) {
      if (mask[i] != 0) {
        System.arraycopy(x, i * d, real, k++ * d, d);
      }
    }
    HessianAccumulator masked = new HessianAccumulator(d);
    NDArray input = m.create(x, new Shape(batch, tokens, d));
    masked.add(input, m.create(mask, new Shape(batch, tokens)));
    HessianAccumulator plain = new HessianAccumulator(d);
    plain.add(m.create(real, new Shape(kept, d)));
    assertEquals(kept, masked.rows());
    double[] expected = plain.upperTriangle();
    double[] actual = masked.upperTriangle();
    for (int k = 0; k < expected.length; k++) {
      assertEquals(expected[k], actual[k], 1e-12 * Math.abs(expected[k]));
    }
    HessianAccumulator boolMask = new HessianAccumulator(d);
    boolMask.add(input, m.create(mask, new Shape(batch, tokens)).toType(DataType.BOOLEAN, false));
    assertEquals(masked, boolMask);
    HessianAccumulator none = new HessianAccumulator(d);
    none.add(input, m.zeros(new Shape(batch, tokens)));
    assertEquals(0, none.rows());
  }

  @Test
  void shippedValuesRebuildTheSameStatistics() throws Exception {
    Random r = new Random(4);
    HessianAccumulator a = new HessianAccumulator(6);
    a.add(m.create(random(r, 60), new Shape(10, 6)));
    assertEquals(a, HessianAccumulator.of(6, a.rows(), a.upperTriangle()));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(a);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertEquals(a, in.readObject());
    }
  }

  @Test
  void misuseIsReportedClearly() {
    HessianAccumulator a = new HessianAccumulator(4);
    assertThrows(IllegalStateException.class, a::hessian);
    assertThrows(IllegalArgumentException.class, () -> a.add(m.zeros(new Shape(3, 5))));
    assertThrows(IllegalArgumentException.class, () -> a.add(m.zeros(new Shape(3, 4)), m.ones(new Shape(2))));
    assertThrows(IllegalArgumentException.class, () -> a.merge(new HessianAccumulator(5)));
    assertThrows(IllegalArgumentException.class, () -> a.add(m.create(new float[] {1, Float.NaN, 0, 0}, new Shape(1, 4))));
  }
}
