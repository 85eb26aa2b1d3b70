package org.sparkquant.core.gptq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.Node;

class ConvUnfoldTest {

  /** im2col by its definition: rows per group, image and output position; columns (channel, kernel offset). */
  private static float[] naive(float[] x, long[] xs, ConvUnfold u) {
    int n = xs.length - 2;
    long[] k = u.kernel();
    long[] s = u.strides();
    long[] dil = u.dilations();
    long[] p = u.padsFor(java.util.Arrays.copyOfRange(xs, 2, xs.length));
    long[] out = new long[n];
    long positions = 1;
    long offsets = 1;
    for (int i = 0; i < n; i++) {
      out[i] = (xs[i + 2] + p[i] + p[i + n] - (k[i] - 1) * dil[i] - 1) / s[i] + 1;
      positions *= out[i];
      offsets *= k[i];
    }
    int g = u.group();
    long c = xs[1] / g;
    float[] y = new float[(int) (g * xs[0] * positions * c * offsets)];
    int at = 0;
    for (int group = 0; group < g; group++) {
      for (int img = 0; img < xs[0]; img++) {
        for (long pos = 0; pos < positions; pos++) {
          for (long ch = 0; ch < c; ch++) {
            for (long off = 0; off < offsets; off++) {
              long[] o = unravel(pos, out);
              long[] ko = unravel(off, k);
              long index = img * xs[1] + group * c + ch;
              boolean inside = true;
              for (int i = 0; i < n; i++) {
                long coord = o[i] * s[i] + ko[i] * dil[i] - p[i];
                inside &= coord >= 0 && coord < xs[i + 2];
                index = index * xs[i + 2] + coord;
              }
              y[at++] = inside ? x[(int) index] : 0f;
            }
          }
        }
      }
    }
    return y;
  }

  private static long[] unravel(long flat, long[] dims) {
    long[] idx = new long[dims.length];
    for (int i = dims.length - 1; i >= 0; i--) {
      idx[i] = flat % dims[i];
      flat /= dims[i];
    }
    return idx;
  }

  private static void assertMatchesNaive(long[] xs, ConvUnfold u) {
    Random r = new Random(xs.length * 31L + u.group());
    int size = 1;
    for (long v : xs) {
      size *= (int) v;
    }
    float[] x = new float[size];
    for (int i = 0; i < size; i++) {
      x[i] = (float) r.nextGaussian();
    }
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray y = u.unfold(m.create(x, new Shape(xs)));
      float[] expected = naive(x, xs, u);
      assertEquals(3, y.getShape().dimension());
      assertEquals(u.group(), y.getShape().get(0));
      assertEquals(u.features(xs[1]), y.getShape().get(2));
      assertArrayEquals(expected, y.toFloatArray());
    }
  }

  @Test
  void unfoldMatchesNaiveIm2colWithStridesDilationsAsymmetricPadsAndGroups() {
    assertMatchesNaive(
        new long[] {2, 4, 7, 9},
        new ConvUnfold(new long[] {3, 2}, new long[] {2, 1}, new long[] {1, 2}, new long[] {1, 0, 2, 1}, "NOTSET", 2));
  }

  @Test
  void unfoldMatchesNaiveIm2colForSamePaddingAndOneSpatialAxis() {
    assertMatchesNaive(
        new long[] {1, 3, 8, 5},
        new ConvUnfold(new long[] {3, 3}, new long[] {2, 2}, new long[] {1, 1}, new long[4], "SAME_UPPER", 1));
    assertMatchesNaive(
        new long[] {2, 6, 11},
        new ConvUnfold(new long[] {4}, new long[] {3}, new long[] {1}, new long[] {2, 1}, "NOTSET", 3));
  }

  @Test
  void pointwiseConvolutionRowsAreThePixels() {
    assertMatchesNaive(
        new long[] {2, 5, 3, 4},
        new ConvUnfold(new long[] {1, 1}, new long[] {1, 1}, new long[] {1, 1}, new long[4], "NOTSET", 1));
  }

  @Test
  void attributesComeFromTheConvNode() {
    Node conv = Node.of("c", "Conv", List.of("x", "w"), List.of("y"),
        Attribute.of("strides", 2L, 2L), Attribute.of("pads", 1L, 1L, 1L, 1L), Attribute.of("group", 2L));
    ConvUnfold u = ConvUnfold.of(conv, new long[] {8, 3, 3, 3});
    assertArrayEquals(new long[] {3, 3}, u.kernel());
    assertArrayEquals(new long[] {2, 2}, u.strides());
    assertArrayEquals(new long[] {1, 1}, u.dilations());
    assertEquals(2, u.group());
    assertEquals(27, u.features(6));
    assertMatchesNaive(new long[] {1, 6, 6, 5}, u);
  }
}
