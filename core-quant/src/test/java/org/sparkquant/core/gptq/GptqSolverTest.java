package org.sparkquant.core.gptq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.ScalarQuantizer;
import org.sparkquant.core.numerics.Scheme;
import org.sparkquant.core.quantizer.WeightQuantizer;
import org.sparkquant.core.quantizer.WeightSpec;
import org.sparkquant.core.quantizer.WeightSpec.Layout;

class GptqSolverTest {
  private static final WeightSpec INT4_CHANNEL = new WeightSpec(QuantType.INT4, Scheme.SYMMETRIC, Layout.PER_CHANNEL, 0);

  private static WeightSpec groups(QuantType type, Scheme scheme, int size) {
    return new WeightSpec(type, scheme, Layout.PER_BLOCK, size);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // (a) the blocked solver computes what the column-by-column definition computes

  @Test
  void perChannelMatchesTheColumnByColumnReference() {
    assertMatchesReference(8, 16, 1, GptqConfig.of(INT4_CHANNEL));
  }

  @Test
  void perChannelWithActOrderMatchesTheReference() {
    assertMatchesReference(8, 16, 2, GptqConfig.of(INT4_CHANNEL).withActOrder(true));
  }

  @Test
  void groupsTakeTheirParametersFromTheUpdatedColumns() {
    assertMatchesReference(16, 32, 3, GptqConfig.of(groups(QuantType.INT4, Scheme.SYMMETRIC, 8)));
  }

  @Test
  void asymmetricGroupsMatchTheReference() {
    assertMatchesReference(16, 32, 4, GptqConfig.of(groups(QuantType.UINT4, Scheme.ASYMMETRIC, 8)));
  }

  @Test
  void staticGroupsWithActOrderMatchTheReference() {
    assertMatchesReference(
        16, 32, 5, GptqConfig.of(groups(QuantType.INT4, Scheme.SYMMETRIC, 8)).withStaticGroups(true).withActOrder(true));
  }

  @Test
  void staticGroupsWithoutActOrderMatchTheReference() {
    assertMatchesReference(
        16, 32, 6, GptqConfig.of(groups(QuantType.UINT4, Scheme.ASYMMETRIC, 8)).withStaticGroups(true));
  }

  @Test
  void blocksAndGroupsThatDoNotAlignMatchTheReference() {
    // blocks of 40 and groups of 12: blocks end before groups that would cross them; several sub-blocks per block
    assertMatchesReference(
        12, 100, 7, GptqConfig.of(groups(QuantType.INT4, Scheme.SYMMETRIC, 12)).withBlockSize(40));
    assertMatchesReference(
        12, 100, 8, GptqConfig.of(groups(QuantType.UINT4, Scheme.ASYMMETRIC, 48)).withBlockSize(20));
    assertMatchesReference(12, 100, 9, GptqConfig.of(INT4_CHANNEL).withBlockSize(24).withActOrder(true));
  }

  @Test
  void eightBitPerTensorMatchesTheReference() {
    assertMatchesReference(
        10, 40, 10, GptqConfig.of(new WeightSpec(QuantType.INT8, Scheme.SYMMETRIC, Layout.PER_TENSOR, 0)));
  }

  @Test
  void aDiagonalHessianGivesRoundToNearest() {
    Random r = new Random(11);
    int rows = 8;
    int cols = 48;
    float[] w = gaussian(r, rows * cols);
    double[] h = new double[cols * cols];
    for (int i = 0; i < cols; i++) {
      h[i * cols + i] = 0.5 + r.nextDouble();
    }
    for (WeightSpec spec : new WeightSpec[] {INT4_CHANNEL, groups(QuantType.UINT4, Scheme.ASYMMETRIC, 16)}) {
      GptqResult g = GptqSolver.solve(w, rows, cols, h, GptqConfig.of(spec));
      long[] shape = {rows, cols};
      QuantParams rtn = WeightQuantizer.rangeParams(Tensor.ofFloats(shape, w), spec, spec.granularity(0, 1));
      assertEquals(rtn, g.params(), "same parameters as round to nearest for " + spec.describe());
      assertArrayEquals(ScalarQuantizer.quantize(w, shape, rtn), g.codes());
    }
  }

  @Test
  void weightsAreTheDequantizedCodes() {
    Random r = new Random(12);
    int rows = 16;
    int cols = 64;
    GptqConfig config = GptqConfig.of(groups(QuantType.UINT4, Scheme.ASYMMETRIC, 32));
    GptqResult g = GptqSolver.solve(gaussian(r, rows * cols), rows, cols, correlatedHessian(r, cols, 4 * cols), config);
    long[] shape = {rows, cols};
    assertArrayEquals(ScalarQuantizer.dequantize(g.codes(), shape, g.params()), g.weights());
    assertArrayEquals(g.codes(), ScalarQuantizer.quantize(g.weights(), shape, g.params()), "codes survive export");
    assertArrayEquals(new long[] {rows, 2}, g.params().paramShape());
    assertEquals(Granularity.perBlock(1, 32), g.params().granularity());
    assertEquals(0.01, g.damping());
    assertEquals(0, g.deadColumns());
    assertTrue(g.loss() > 0 && g.seconds() > 0);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // (b) GPTQ beats round to nearest on the error it minimizes

  @Test
  void gptqHasLowerLayerErrorThanRoundToNearestOnCorrelatedInputs() {
    Random r = new Random(21);
    int rows = 64;
    int cols = 256;
    float[] w = gaussian(r, rows * cols);
    double[] h = correlatedHessian(r, cols, 2048);
    for (WeightSpec spec : new WeightSpec[] {
        groups(QuantType.UINT4, Scheme.ASYMMETRIC, 32), groups(QuantType.INT4, Scheme.SYMMETRIC, 32)}) {
      long[] shape = {rows, cols};
      QuantParams p = WeightQuantizer.rangeParams(Tensor.ofFloats(shape, w), spec, spec.granularity(0, 1));
      double rtn = GptqSolver.layerError(w, ScalarQuantizer.fakeQuantize(w, shape, p), rows, cols, h);
      GptqResult g = GptqSolver.solve(w, rows, cols, h, GptqConfig.of(spec));
      double gptq = GptqSolver.layerError(w, g.weights(), rows, cols, h);
      GptqResult ordered = GptqSolver.solve(
          w, rows, cols, h, GptqConfig.of(spec).withStaticGroups(true).withActOrder(true));
      double actOrder = GptqSolver.layerError(w, ordered.weights(), rows, cols, h);
      assertTrue(gptq < 0.6 * rtn, spec.describe() + ": GPTQ " + gptq + " vs round to nearest " + rtn);
      assertTrue(actOrder < 0.6 * rtn, spec.describe() + ": act-order " + actOrder + " vs round to nearest " + rtn);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // (c) degenerate Hessians

  @Test
  void deadInputsGetZeroWeightsAndAreCounted() {
    Random r = new Random(31);
    int rows = 8;
    int cols = 32;
    double[][] x = correlatedRows(r, 256, cols);
    for (double[] row : x) {
      row[3] = 0;
      row[17] = 0;
    }
    double[] h = hessianOf(x, cols);
    float[] w = gaussian(r, rows * cols);
    GptqResult g = GptqSolver.solve(w, rows, cols, h, GptqConfig.of(groups(QuantType.INT4, Scheme.SYMMETRIC, 8)));
    assertEquals(2, g.deadColumns());
    float[] q = g.weights();
    for (int i = 0; i < rows; i++) {
      assertEquals(0f, q[i * cols + 3]);
      assertEquals(0f, q[i * cols + 17]);
    }
    assertAllFinite(q);
    assertEquals(0.01, g.damping());
  }

  @Test
  void rankDeficientInputsAreSolvedWithTheDefaultDamping() {
    Random r = new Random(32);
    int rows = 8;
    int cols = 32;
    double[] h = rankDeficientHessian(r, cols, 4);
    GptqResult g = GptqSolver.solve(gaussian(r, rows * cols), rows, cols, h, GptqConfig.of(INT4_CHANNEL));
    assertEquals(0.01, g.damping());
    assertAllFinite(g.weights());
    assertTrue(Double.isFinite(g.loss()));
  }

  @Test
  void anIndefiniteHessianRaisesTheDampingUntilItFactors() {
    Random r = new Random(33);
    int rows = 8;
    int cols = 32;
    double[] h = rankDeficientHessian(r, cols, 4);
    double mean = meanDiagonal(h, cols);
    for (int i = 0; i < cols; i++) {
      h[i * cols + i] -= 0.05 * mean; // the null space now has eigenvalue −0.05·mean: 1% damping is not enough
    }
    GptqResult g = GptqSolver.solve(gaussian(r, rows * cols), rows, cols, h, GptqConfig.of(INT4_CHANNEL));
    assertEquals(0.1, g.damping(), 1e-15);
    assertAllFinite(g.weights());
    assertTrue(Double.isFinite(g.loss()));
  }

  @Test
  void aHessianNoDampingRepairsIsRejected() {
    int cols = 8;
    double[] h = new double[cols * cols];
    for (int i = 0; i < cols; i++) {
      h[i * cols + i] = -1;
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GptqSolver.solve(new float[2 * cols], 2, cols, h, GptqConfig.of(INT4_CHANNEL)));
    assertTrue(e.getMessage().contains("not positive definite even with damping"), e.getMessage());
  }

  @Test
  void nonFiniteInputsAreRejected() {
    double[] h = {1, 0, 0, Double.NaN};
    assertThrows(IllegalArgumentException.class,
        () -> GptqSolver.solve(new float[4], 2, 2, h, GptqConfig.of(INT4_CHANNEL)));
    assertThrows(IllegalArgumentException.class,
        () -> GptqSolver.solve(new float[] {0, Float.NaN}, 1, 2, new double[] {1, 0, 0, 1}, GptqConfig.of(INT4_CHANNEL)));
    assertThrows(IllegalArgumentException.class,
        () -> GptqSolver.solve(new float[5], 2, 2, new double[] {1, 0, 0, 1}, GptqConfig.of(INT4_CHANNEL)));
  }

  @Test
  void actOrderWithDynamicGroupsIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GptqConfig.of(groups(QuantType.INT4, Scheme.SYMMETRIC, 32)).withActOrder(true));
    assertTrue(e.getMessage().contains("staticGroups"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> GptqConfig.of(INT4_CHANNEL).withStaticGroups(true));
    assertThrows(IllegalArgumentException.class, () -> GptqConfig.of(INT4_CHANNEL).withDamp(0));
  }

  @Test
  void theInverseFactorIsTheUpperCholeskyFactorOfTheInverse() {
    Random r = new Random(41);
    int n = 300; // three panels, the last one partial
    double[] h = correlatedHessian(r, n, 2 * n);
    double damping = 0.01 * meanDiagonal(h, n);
    float[] u;
    try (NDManager m = NDManager.newBaseManager()) {
      u = InverseCholesky.upperFactorOfInverse(m, h, n, damping).toFloatArray();
    }
    double[] hd = h.clone();
    for (int i = 0; i < n; i++) {
      hd[i * n + i] += damping;
    }
    double[] expected = upperCholeskyOfInverse(hd, n);
    double scale = 0;
    for (double v : expected) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < n * n; i++) {
      assertEquals(expected[i], u[i], 1e-5 * scale, "U[" + i / n + ", " + i % n + "]");
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // reference and helpers

  private static void assertMatchesReference(int rows, int cols, long seed, GptqConfig config) {
    Random r = new Random(seed);
    float[] w = gaussian(r, rows * cols);
    double[] h = correlatedHessian(r, cols, 4 * cols);
    GptqResult g = GptqSolver.solve(w, rows, cols, h, config);
    Reference ref = reference(w, rows, cols, h, config, g.codes());
    assertArrayEquals(ref.codes, g.codes(), "codes");
    assertTrue(ref.ties <= 2 * g.params().scale().length, ref.ties + " ties");
    float[] scale = g.params().scale();
    for (int i = 0; i < scale.length; i++) {
      assertEquals(ref.scale[i], scale[i], 1e-5 * ref.scale[i], "scale " + i);
    }
    assertArrayEquals(ref.zeroPoint, g.params().zeroPoint(), "zero points");
    assertEquals(ref.loss, g.loss(), 1e-4 * ref.loss, "loss");
  }

  private record Reference(int[] codes, float[] scale, int[] zeroPoint, double loss, int ties) {}

  /**
   * GPTQ by its definition, in double, one column at a time: no blocks, no lazy updates; {@code U} as the note
   * computes it (Cholesky of {@code H}, inverse, Cholesky again).
   *
   * <p>Values within 1e-4 of a rounding tie ({@code x / scale = k + ½}) round either way depending on the last bits,
   * which float32 with blocked updates and float64 column by column do not share; a group's extreme value always
   * lands on one ({@code ±7.5} steps for symmetric INT4). There the reference takes the solver's code if it is one
   * of the two candidates, so that one tie does not make every later column differ; the ties are counted.
   */
  private static Reference reference(float[] w0, int rows, int cols, double[] h0, GptqConfig config, int[] tieCodes) {
    double[][] w = new double[rows][cols];
    double[][] h = new double[cols][cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        w[i][j] = w0[i * cols + j];
      }
    }
    for (int i = 0; i < cols; i++) {
      for (int j = 0; j < cols; j++) {
        h[i][j] = h0[i * cols + j];
      }
    }
    for (int i = 0; i < cols; i++) {
      if (h[i][i] == 0) {
        h[i][i] = 1;
        for (int k = 0; k < rows; k++) {
          w[k][i] = 0;
        }
      }
    }
    WeightSpec spec = config.weights();
    QuantType type = spec.type();
    int gs = config.groupSize();
    int groups = gs > 0 ? (cols + gs - 1) / gs : 1;
    boolean perTensor = spec.layout() == Layout.PER_TENSOR;
    float[] scale = new float[perTensor ? 1 : rows * groups];
    int[] zp = new int[scale.length];
    boolean dynamic = gs > 0 && !config.staticGroups();
    if (!dynamic) {
      for (int g = 0; g < groups; g++) {
        setParams(w, rows, g * gs, gs > 0 ? Math.min(cols, (g + 1) * gs) : cols, perTensor, spec, scale, zp, groups, g);
      }
    }
    int[] perm = new int[cols];
    boolean[] used = new boolean[cols];
    for (int p = 0; p < cols; p++) {
      int best = -1;
      for (int j = 0; j < cols; j++) {
        if (!used[j] && (best < 0 || config.actOrder() && h[j][j] > h[best][best])) {
          best = j;
        }
      }
      used[best] = true;
      perm[p] = best;
    }
    double[][] wp = new double[rows][cols];
    double[][] hp = new double[cols][cols];
    for (int i = 0; i < cols; i++) {
      for (int k = 0; k < rows; k++) {
        wp[k][i] = w[k][perm[i]];
      }
      for (int j = 0; j < cols; j++) {
        hp[i][j] = h[perm[i]][perm[j]];
      }
    }
    double mean = 0;
    for (int i = 0; i < cols; i++) {
      mean += hp[i][i] / cols;
    }
    double[] flat = new double[cols * cols];
    for (int i = 0; i < cols; i++) {
      for (int j = 0; j < cols; j++) {
        flat[i * cols + j] = hp[i][j] + (i == j ? config.damp() * mean : 0);
      }
    }
    double[] u = upperCholeskyOfInverse(flat, cols);
    int[] codesP = new int[rows * cols];
    double loss = 0;
    int ties = 0;
    for (int i = 0; i < cols; i++) {
      if (dynamic && i % gs == 0) {
        setParams(wp, rows, i, Math.min(cols, i + gs), false, spec, scale, zp, groups, i / gs);
      }
      int pc = gs > 0 ? perm[i] / gs : 0;
      double d = u[i * cols + i];
      for (int k = 0; k < rows; k++) {
        int at = perTensor ? 0 : k * groups + pc;
        int code = ScalarQuantizer.quantize(type, (float) wp[k][i], scale[at], zp[at], true);
        double v = (float) wp[k][i] / scale[at];
        if (Math.abs(v - Math.floor(v) - 0.5) < 1e-4) {
          int other = tieCodes[k * cols + perm[i]];
          int down = (int) Math.max(type.min(), Math.min(type.max(), Math.floor(v) + zp[at]));
          int up = (int) Math.max(type.min(), Math.min(type.max(), Math.ceil(v) + zp[at]));
          if (other != code && (other == down || other == up)) {
            code = other;
            ties++;
          }
        }
        double q = ScalarQuantizer.dequantize(type, code, scale[at], zp[at]);
        double err = (wp[k][i] - q) / d;
        loss += err * err / 2;
        codesP[k * cols + i] = code;
        for (int j = i + 1; j < cols; j++) {
          wp[k][j] -= err * u[i * cols + j];
        }
      }
    }
    int[] codes = new int[rows * cols];
    for (int k = 0; k < rows; k++) {
      for (int i = 0; i < cols; i++) {
        codes[k * cols + perm[i]] = codesP[k * cols + i];
      }
    }
    return new Reference(codes, scale, zp, loss, ties);
  }

  /** Round-to-nearest parameters of columns {@code [from, to)}: per row, or over all rows per tensor. */
  private static void setParams(
      double[][] w, int rows, int from, int to, boolean perTensor, WeightSpec spec, float[] scale, int[] zp,
      int groups, int g) {
    int n = perTensor ? 1 : rows;
    float[] min = new float[n];
    float[] max = new float[n];
    for (int k = 0; k < rows; k++) {
      for (int j = from; j < to; j++) {
        float v = (float) w[k][j];
        int at = perTensor ? 0 : k;
        min[at] = Math.min(min[at], v);
        max[at] = Math.max(max[at], v);
      }
    }
    QuantParams p = spec.scheme().params(spec.type(), Granularity.perChannel(0), new long[] {n}, min, max);
    float[] s = p.scale();
    int[] z = p.zeroPoint();
    for (int k = 0; k < n; k++) {
      scale[perTensor ? 0 : k * groups + g] = s[k];
      zp[perTensor ? 0 : k * groups + g] = z[k];
    }
  }

  /** Upper {@code U} with {@code a⁻¹ = Uᵀ U}: Cholesky of {@code a}, its inverse, Cholesky of that. */
  static double[] upperCholeskyOfInverse(double[] a, int n) {
    double[] l = cholesky(a, n);
    double[] li = new double[n * n];
    for (int j = 0; j < n; j++) {
      li[j * n + j] = 1 / l[j * n + j];
      for (int i = j + 1; i < n; i++) {
        double v = 0;
        for (int p = j; p < i; p++) {
          v += l[i * n + p] * li[p * n + j];
        }
        li[i * n + j] = -v / l[i * n + i];
      }
    }
    double[] inv = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double v = 0;
        for (int k = Math.max(i, j); k < n; k++) {
          v += li[k * n + i] * li[k * n + j];
        }
        inv[i * n + j] = v;
      }
    }
    double[] l2 = cholesky(inv, n);
    double[] u = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        u[i * n + j] = l2[j * n + i];
      }
    }
    return u;
  }

  private static double[] cholesky(double[] a, int n) {
    double[] l = new double[n * n];
    for (int j = 0; j < n; j++) {
      double d = a[j * n + j];
      for (int p = 0; p < j; p++) {
        d -= l[j * n + p] * l[j * n + p];
      }
      if (!(d > 0)) {
        throw new AssertionError("reference Cholesky failed at " + j);
      }
      l[j * n + j] = Math.sqrt(d);
      for (int i = j + 1; i < n; i++) {
        double v = a[i * n + j];
        for (int p = 0; p < j; p++) {
          v -= l[i * n + p] * l[j * n + p];
        }
        l[i * n + j] = v / l[j * n + j];
      }
    }
    return l;
  }

  static float[] gaussian(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  /**
   * Rows with correlated features, as layer inputs are: a random mixture of a few shared factors plus independent
   * noise, features scaled differently.
   */
  static double[][] correlatedRows(Random r, int n, int d) {
    int factors = Math.max(2, d / 8);
    double[][] mix = new double[factors][d];
    for (double[] row : mix) {
      for (int j = 0; j < d; j++) {
        row[j] = r.nextGaussian();
      }
    }
    double[] featureScale = new double[d];
    for (int j = 0; j < d; j++) {
      featureScale[j] = Math.exp(r.nextGaussian() * 0.5);
    }
    double[][] x = new double[n][d];
    for (int i = 0; i < n; i++) {
      double[] z = new double[factors];
      for (int f = 0; f < factors; f++) {
        z[f] = r.nextGaussian();
      }
      for (int j = 0; j < d; j++) {
        double v = 0.3 * r.nextGaussian();
        for (int f = 0; f < factors; f++) {
          v += z[f] * mix[f][j];
        }
        x[i][j] = v * featureScale[j];
      }
    }
    return x;
  }

  static double[] hessianOf(double[][] x, int d) {
    double[] h = new double[d * d];
    for (double[] row : x) {
      for (int i = 0; i < d; i++) {
        for (int j = 0; j < d; j++) {
          h[i * d + j] += 2 * row[i] * row[j] / x.length;
        }
      }
    }
    return h;
  }

  static double[] correlatedHessian(Random r, int d, int n) {
    try (NDManager m = NDManager.newBaseManager()) {
      double[][] x = correlatedRows(r, n, d);
      double[] flat = new double[n * d];
      for (int i = 0; i < n; i++) {
        System.arraycopy(x[i], 0, flat, i * d, d);
      }
      HessianAccumulator a = new HessianAccumulator(d);
      a.add(m.create(flat, new Shape(n, d)));
      return a.hessian();
    }
  }

  /** {@code H} of rows that span only {@code rank} dimensions. */
  static double[] rankDeficientHessian(Random r, int d, int rank) {
    double[][] basis = new double[rank][d];
    for (double[] b : basis) {
      for (int j = 0; j < d; j++) {
        b[j] = r.nextGaussian();
      }
    }
    double[][] x = new double[64][d];
    for (double[] row : x) {
      for (double[] b : basis) {
        double c = r.nextGaussian();
        for (int j = 0; j < d; j++) {
          row[j] += c * b[j];
        }
      }
    }
    return hessianOf(x, d);
  }

  static double meanDiagonal(double[] h, int d) {
    double s = 0;
    for (int i = 0; i < d; i++) {
      s += h[i * d + i];
    }
    return s / d;
  }

  private static void assertAllFinite(float[] v) {
    for (int i = 0; i < v.length; i++) {
      assertTrue(Float.isFinite(v[i]), "value " + i + " is " + v[i]);
    }
  }
}
