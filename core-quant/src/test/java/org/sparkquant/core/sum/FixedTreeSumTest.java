package org.sparkquant.core.sum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FixedTreeSumTest {

  @Test
  void treeSumDoesNotDependOnHowBatchesAreSplit() {
    int n = 13;
    double[] leaves = new double[n];
    Random r = new Random(2);
    for (int i = 0; i < n; i++) {
      leaves[i] = r.nextGaussian() * Math.pow(10, r.nextInt(12) - 6);
    }
    java.util.function.BinaryOperator<double[]> add = (a, b) -> new double[] {a[0] + b[0]};
    double whole = FixedTreeSum.total(n, FixedTreeSum.partial(n, 0, n, i -> new double[] {leaves[i]}, add), add)[0];
    for (int[] cuts : new int[][] {{0, 1, 13}, {0, 5, 6, 13}, {0, 3, 7, 8, 12, 13}, {0, 12, 13}}) {
      Map<FixedTreeSum.Span, double[]> parts = new HashMap<>();
      for (int k = 0; k + 1 < cuts.length; k++) {
        parts.putAll(FixedTreeSum.partial(n, cuts[k], cuts[k + 1], i -> new double[] {leaves[i]}, add));
      }
      assertEquals(Double.doubleToRawLongBits(whole), Double.doubleToRawLongBits(FixedTreeSum.total(n, parts, add)[0]),
          java.util.Arrays.toString(cuts));
    }
    Map<FixedTreeSum.Span, double[]> missing = FixedTreeSum.partial(n, 0, 6, i -> new double[] {leaves[i]}, add);
    assertThrows(IllegalArgumentException.class, () -> FixedTreeSum.total(n, missing, add));
  }
}
