package org.sparkquant.core.gptq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.ScalarQuantizer;
import org.sparkquant.core.quantizer.WeightQuantizer;
import org.sparkquant.core.quantizer.WeightSpec;

/**
 * GPTQ for one layer: quantizes the weight {@code W [rows = output channels, cols = input features]} column by
 * column, spreading each column's rounding error over the columns not yet quantized through the upper Cholesky factor
 * {@code U} of {@code H⁻¹}, so that the layer's output error {@code ½·tr(ΔW H ΔWᵀ)} on the calibration inputs stays
 * small.
 *
 * <p>The steps, as the GPTQ paper and its widely used implementations define them:
 *
 * <ol>
 *   <li>Dead inputs: where {@code H[i,i] = 0}, {@code H[i,i] = 1} and {@code W[:,i] = 0}.
 *   <li>Parameters that do not depend on the updates are computed now, from this {@code W}, by the same code as
 *       round-to-nearest ({@link WeightQuantizer#rangeParams}): per tensor, per channel, and all groups with static
 *       groups.
 *   <li>Act-order: columns permuted by descending {@code diag H} (a stable order: ties keep their column order), and
 *       the permutation undone at the end.
 *   <li>Damping {@code H += λ · mean(diag H) · I}, then {@code U} ({@link InverseCholesky}, float64). Where the damped
 *       matrix is not positive definite, {@code λ} is raised ×10 and the factorization retried, up to
 *       {@link #DAMPING_ATTEMPTS} tries in all; the {@code λ} used is reported.
 *   <li>Columns in blocks of {@link GptqConfig#blockSize()}: for column {@code i}, at a group start the group's
 *       parameters come from its current (updated) columns, again through {@link WeightQuantizer#rangeParams};
 *       {@code q = dequantize(quantize(w))} as {@link ScalarQuantizer} computes it (bit-exact with ONNX Runtime);
 *       {@code err = (w − q) / U[i,i]}; the block's later columns get {@code −err ⊗ U[i, i+1:i2]}; after the block,
 *       {@code W[:, i2:] −= E · U[i1:i2, i2:]}.
 * </ol>
 *
 * <p>Arithmetic: {@code H} and its factorization in float64; {@code U} and the weight updates in float32, as the
 * reference implementations (which keep everything in float32). The weight lives on the engine transposed
 * ({@code [cols, rows]}), so a column is a contiguous row. Inside a block, columns are processed in sub-blocks of
 * {@link #SUB_BLOCK}: the columns of a sub-block are quantized and update each other in Java (at most
 * {@code SUB_BLOCK − 1} columns of {@code rows} values each), and each sub-block's errors reach the rest of the block
 * as one engine matrix multiply, the same lazy batch update GPTQ applies between blocks; this is the reference
 * column-by-column computation reordered, equal up to float rounding. With dynamic groups, blocks and sub-blocks end
 * where a group starts whose columns would otherwise not all be up to date when its parameters are taken.
 */
public final class GptqSolver {
  /** Factorization attempts: {@code λ}, {@code 10λ}, {@code 100λ}, {@code 1000λ}. */
  public static final int DAMPING_ATTEMPTS = 4;

  /** Columns quantized together in Java before their errors are applied to the rest of the block on the engine. */
  static final int SUB_BLOCK = 16;

  private GptqSolver() {}

  /**
   * Quantizes one layer.
   *
   * @param weights {@code W}, {@code rows × cols}, row-major (not modified)
   * @param rows output channels
   * @param cols input features
   * @param hessian {@code H = 2·Σ x xᵀ / n}, {@code cols × cols}, symmetric, row-major (not modified)
   * @param config what to quantize to and how
   */
  public static GptqResult solve(float[] weights, int rows, int cols, double[] hessian, GptqConfig config) {
    long start = System.nanoTime();
    check(weights, rows, cols, hessian);
    float[] w = weights.clone();
    double[] h = hessian.clone();
    int dead = 0;
    for (int i = 0; i < cols; i++) {
      if (h[i * cols + i] == 0) {
        h[i * cols + i] = 1;
        for (int r = 0; r < rows; r++) {
          w[r * cols + i] = 0;
        }
        dead++;
      }
    }
    ParamTable table = new ParamTable(w, rows, cols, config);
    int[] perm = config.actOrder() ? descendingDiagonal(h, cols) : IntStream.range(0, cols).toArray();
    double[] hp = config.actOrder() ? permute(h, cols, perm) : h;
    double meanDiag = 0;
    for (int i = 0; i < cols; i++) {
      meanDiag += hp[i * cols + i];
    }
    meanDiag /= cols;

    try (NDManager m = NDManager.newBaseManager()) {
      double lambda = config.damp();
      NDArray u = null;
      InverseCholesky.NotPositiveDefinite failure = null;
      for (int attempt = 0; attempt < DAMPING_ATTEMPTS && u == null; attempt++) {
        try {
          u = InverseCholesky.upperFactorOfInverse(m, hp, cols, lambda * meanDiag);
        } catch (InverseCholesky.NotPositiveDefinite e) {
          failure = e;
          lambda *= 10;
        }
      }
      if (u == null) {
        throw new IllegalArgumentException(
            "the Hessian (" + cols + " inputs) is not positive definite even with damping λ = " + lambda / 10
                + " of the mean diagonal " + meanDiag + " (" + failure.getMessage() + "): check the calibration "
                + "inputs of this layer for non-finite values, or raise damp");
      }
      hp = null;
      h = null;
      Sweep sweep = new Sweep(m, w, rows, cols, perm, u, table, config);
      sweep.run();
      float[] q = new float[rows * cols];
      int[] codes = new int[rows * cols];
      for (int p = 0; p < cols; p++) {
        int c = perm[p];
        for (int r = 0; r < rows; r++) {
          q[r * cols + c] = sweep.quantizedT[p * rows + r];
          codes[r * cols + c] = sweep.codesT[p * rows + r];
        }
      }
      if (!Double.isFinite(sweep.loss)) {
        throw new IllegalArgumentException(
            "GPTQ's loss is not finite (damping λ = " + lambda + "): the Hessian is too ill-conditioned; raise damp");
      }
      return new GptqResult(
          rows, cols, q, codes, table.params(), sweep.loss, lambda, (System.nanoTime() - start) / 1e9, dead);
    }
  }

  /**
   * The layer's output error {@code ½·tr(ΔW H ΔWᵀ)} with {@code ΔW = original − quantized}: on the calibration
   * inputs, half the mean squared error of the layer's outputs ({@code H = 2·Σ x xᵀ / n}). Computed in float64 on
   * the engine.
   */
  public static double layerError(float[] original, float[] quantized, int rows, int cols, double[] hessian) {
    check(original, rows, cols, hessian);
    if (quantized.length != original.length) {
      throw new IllegalArgumentException(
          "quantized weights have " + quantized.length + " values, expected " + original.length);
    }
    double[] delta = new double[original.length];
    for (int i = 0; i < delta.length; i++) {
      delta[i] = (double) original[i] - quantized[i];
    }
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray d = m.create(delta, new Shape(rows, cols));
      NDArray hh = m.create(hessian, new Shape(cols, cols));
      return d.matMul(hh).mul(d).sum().getDouble() / 2;
    }
  }

  private static void check(float[] weights, int rows, int cols, double[] hessian) {
    if (rows < 1 || cols < 1) {
      throw new IllegalArgumentException("the weight needs at least one row and column, found " + rows + "×" + cols);
    }
    if ((long) rows * cols != weights.length) {
      throw new IllegalArgumentException(
          "a " + rows + "×" + cols + " weight has " + (long) rows * cols + " values, found " + weights.length);
    }
    if ((long) cols * cols != hessian.length) {
      throw new IllegalArgumentException(
          "the Hessian of " + cols + " inputs has " + (long) cols * cols + " values, found " + hessian.length);
    }
    for (int i = 0; i < weights.length; i++) {
      if (!Float.isFinite(weights[i])) {
        throw new IllegalArgumentException("weight[" + i / cols + ", " + i % cols + "] is " + weights[i]);
      }
    }
    for (int i = 0; i < hessian.length; i++) {
      if (!Double.isFinite(hessian[i])) {
        throw new IllegalArgumentException(
            "Hessian[" + i / cols + ", " + i % cols + "] is " + hessian[i] + ": check the calibration inputs");
      }
    }
  }

  /** Column order by descending {@code diag H}, ties in column order. */
  static int[] descendingDiagonal(double[] h, int cols) {
    Integer[] order = new Integer[cols];
    for (int i = 0; i < cols; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -h[i * cols + i]));
    return Arrays.stream(order).mapToInt(Integer::intValue).toArray();
  }

  /** {@code H[perm][:, perm]}. */
  static double[] permute(double[] h, int cols, int[] perm) {
    double[] out = new double[h.length];
    for (int i = 0; i < cols; i++) {
      int src = perm[i] * cols;
      int dst = i * cols;
      for (int j = 0; j < cols; j++) {
        out[dst + j] = h[src + perm[j]];
      }
    }
    return out;
  }

  /**
   * Scales and zero points of the result, in round-to-nearest's layout for a {@code [rows, cols]} weight; filled up
   * front, or group by group during the sweep with dynamic groups.
   */
  static final class ParamTable {
    final WeightSpec spec;
    final Granularity granularity;
    final long[] paramShape;
    final int groups;
    final int rowStride;
    final boolean dynamic;
    final float[] scale;
    final int[] zeroPoint;

    ParamTable(float[] w, int rows, int cols, GptqConfig config) {
      spec = config.weights();
      granularity = spec.granularity(0, 1);
      long[] shape = {rows, cols};
      paramShape = granularity.paramShape(shape);
      int gs = config.groupSize();
      groups = gs > 0 ? (cols + gs - 1) / gs : 1;
      rowStride = spec.layout() == WeightSpec.Layout.PER_TENSOR ? 0 : groups;
      dynamic = gs > 0 && !config.staticGroups();
      int count = (int) Tensor.numElements(paramShape);
      if (dynamic) {
        scale = new float[count];
        zeroPoint = new int[count];
      } else {
        QuantParams p = WeightQuantizer.rangeParams(Tensor.ofFloats(shape, w), spec, granularity);
        scale = p.scale();
        zeroPoint = p.zeroPoint();
      }
    }

    /**
     * Parameters of group {@code g} from its current columns, given transposed ({@code [columns, rows]}): per row of
     * the weight, through round-to-nearest's code.
     */
    void setGroup(int g, float[] columnsT, int columns, int rows) {
      QuantParams p = WeightQuantizer.rangeParams(
          Tensor.ofFloats(new long[] {columns, rows}, columnsT), spec, Granularity.perChannel(1));
      float[] s = p.scale();
      int[] z = p.zeroPoint();
      for (int r = 0; r < rows; r++) {
        scale[r * groups + g] = s[r];
        zeroPoint[r * groups + g] = z[r];
      }
    }

    QuantParams params() {
      return new QuantParams(spec.type(), granularity, paramShape, scale, zeroPoint);
    }
  }

  /** The column sweep over the permuted, transposed weight on the engine. */
  private static final class Sweep {
    final NDManager m;
    final int rows;
    final int cols;
    final NDArray u;
    final NDArray wt;
    final ParamTable table;
    final int blockSize;
    final int groupSize;
    final QuantType type;
    /** Table column of the parameters of (permuted) column {@code p}. */
    final int[] paramColumn;
    final float[] quantizedT;
    final int[] codesT;
    double loss;

    Sweep(NDManager m, float[] w, int rows, int cols, int[] perm, NDArray u, ParamTable table, GptqConfig config) {
      this.m = m;
      this.rows = rows;
      this.cols = cols;
      this.u = u;
      this.table = table;
      this.blockSize = config.blockSize();
      this.groupSize = config.groupSize();
      this.type = config.weights().type();
      float[] wt = new float[rows * cols];
      paramColumn = new int[cols];
      for (int p = 0; p < cols; p++) {
        int c = perm[p];
        for (int r = 0; r < rows; r++) {
          wt[p * rows + r] = w[r * cols + c];
        }
        paramColumn[p] = groupSize > 0 ? c / groupSize : 0;
      }
      this.wt = m.create(wt, new Shape(cols, rows));
      quantizedT = new float[rows * cols];
      codesT = new int[rows * cols];
    }

    void run() {
      for (int i1 = 0, i2; i1 < cols; i1 = i2) {
        i2 = blockEnd(i1);
        float[] errors = new float[(i2 - i1) * rows];
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          for (int s1 = i1, s2; s1 < i2; s1 = s2) {
            s2 = subBlockEnd(s1, i2);
            if (table.dynamic && s1 % groupSize == 0) {
              int end = Math.min(s1 + groupSize, cols);
              float[] group = wt.get(rows(s1, end)).toFloatArray();
              checkFinite(group, s1);
              table.setGroup(s1 / groupSize, group, end - s1, rows);
            }
            subBlock(s1, s2, i1, errors);
            if (s2 < i2) {
              NDArray e = m.create(
                  Arrays.copyOfRange(errors, (s1 - i1) * rows, (s2 - i1) * rows), new Shape(s2 - s1, rows));
              wt.get(rows(s2, i2)).subi(u.get(rows(s1, s2).addSliceDim(s2, i2)).transpose().matMul(e));
            }
          }
          if (i2 < cols) {
            NDArray e = m.create(errors, new Shape(i2 - i1, rows));
            wt.get(rows(i2, cols)).subi(u.get(rows(i1, i2).addSliceDim(i2, cols)).transpose().matMul(e));
          }
        }
      }
    }

    /** Quantizes columns {@code [s1, s2)}, updating each other in Java; their errors go to {@code errors}. */
    private void subBlock(int s1, int s2, int i1, float[] errors) {
      int sb = s2 - s1;
      float[] ws = wt.get(rows(s1, s2)).toFloatArray();
      float[] ud = u.get(rows(s1, s2).addSliceDim(s1, s2)).toFloatArray();
      float[] scale = table.scale;
      int[] zp = table.zeroPoint;
      int stride = table.rowStride;
      double sum = 0;
      for (int c = 0; c < sb; c++) {
        int p = s1 + c;
        float d = ud[c * sb + c];
        int at = c * rows;
        int out = p * rows;
        int err = (p - i1) * rows;
        int pc = paramColumn[p];
        for (int r = 0; r < rows; r++) {
          int k = r * stride + pc;
          float x = ws[at + r];
          int code = ScalarQuantizer.quantize(type, x, scale[k], zp[k], true);
          float q = ScalarQuantizer.dequantize(type, code, scale[k], zp[k]);
          float e = (x - q) / d;
          sum += (double) e * e;
          errors[err + r] = e;
          quantizedT[out + r] = q;
          codesT[out + r] = code;
        }
        for (int j = c + 1; j < sb; j++) {
          float f = ud[c * sb + j];
          int to = j * rows;
          for (int r = 0; r < rows; r++) {
            ws[to + r] -= errors[err + r] * f;
          }
        }
      }
      loss += sum / 2;
    }

    /**
     * End of the block starting at {@code i1}: {@code blockSize} columns on, but with dynamic groups before a group
     * that starts inside the block and ends after it (its columns past the block would lack this block's updates
     * when its parameters are taken).
     */
    private int blockEnd(int i1) {
      int i2 = Math.min(i1 + blockSize, cols);
      if (table.dynamic) {
        int last = (i2 - 1) / groupSize * groupSize;
        if (last > i1 && Math.min(last + groupSize, cols) > i2) {
          i2 = last;
        }
      }
      return i2;
    }

    /** End of the sub-block starting at {@code s1}: at most {@link #SUB_BLOCK} columns, ending at a group start. */
    private int subBlockEnd(int s1, int i2) {
      int s2 = Math.min(s1 + SUB_BLOCK, i2);
      if (table.dynamic) {
        s2 = Math.min(s2, (s1 / groupSize + 1) * groupSize);
      }
      return s2;
    }

    private void checkFinite(float[] group, int column) {
      for (float v : group) {
        if (!Float.isFinite(v)) {
          throw new IllegalArgumentException(
              "updated weights of the group at column " + column + " are not finite: the Hessian is too"
                  + " ill-conditioned; raise damp");
        }
      }
    }

    private static NDIndex rows(long from, long to) {
      return new NDIndex().addSliceDim(from, to);
    }
  }
}
