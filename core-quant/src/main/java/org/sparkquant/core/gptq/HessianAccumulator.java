package org.sparkquant.core.gptq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.io.Serializable;
import java.util.Arrays;

/**
 * GPTQ's input statistics of one layer: {@code S = Σ x xᵀ} over the input rows {@code x} (one token of a linear layer,
 * one unfolded patch of a convolution, see {@link ConvUnfold}) and their count {@code n}, giving the Hessian
 * {@code H = 2S / n} of the layer's squared output error.
 *
 * <p>{@code S} is kept in float64 as its upper triangle ({@code d(d+1)/2} values, row by row: {@code (i, j ≥ i)} at
 * {@link #index}); each {@link #add} computes {@code xᵀx} as one float64 matrix multiply on the engine and adds it in.
 * Padding rows (attention mask 0) are left out with a mask, since they distort {@code H}.
 *
 * <p>Plain data (no engine arrays), so that partial statistics can travel between processes. {@link #merge} adds;
 * float64 addition is not associative, so the last bits of the sum depend on the order partials are merged in:
 * callers that want identical results on re-runs merge in a fixed order (partition index, not task completion).
 */
public final class HessianAccumulator implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Largest feature count whose upper triangle fits one Java array. */
  public static final int MAX_FEATURES = 65_535;

  private final int features;
  private long rows;
  private final double[] upper;

  /** An empty accumulator for inputs of {@code features} values. */
  public HessianAccumulator(int features) {
    if (features < 1 || features > MAX_FEATURES) {
      throw new IllegalArgumentException(
          "a Hessian needs between 1 and " + MAX_FEATURES + " input features, found " + features);
    }
    this.features = features;
    this.upper = new double[triangleSize(features)];
  }

  /** An accumulator holding statistics shipped as plain values ({@link #upperTriangle()} and {@link #rows()}). */
  public static HessianAccumulator of(int features, long rows, double[] upperTriangle) {
    HessianAccumulator a = new HessianAccumulator(features);
    if (upperTriangle.length != a.upper.length) {
      throw new IllegalArgumentException(
          "the upper triangle of " + features + " features has " + a.upper.length + " values, found "
              + upperTriangle.length);
    }
    if (rows < 0) {
      throw new IllegalArgumentException("row count must not be negative, found " + rows);
    }
    System.arraycopy(upperTriangle, 0, a.upper, 0, a.upper.length);
    a.rows = rows;
    return a;
  }

  /** Values in the upper triangle of a {@code d×d} matrix. */
  public static int triangleSize(int d) {
    return Math.toIntExact((long) d * (d + 1) / 2);
  }

  /** Position of {@code (i, j)}, {@code i ≤ j}, in the upper triangle of a {@code d×d} matrix. */
  public static int index(int i, int j, int d) {
    return i * d - i * (i - 1) / 2 + (j - i);
  }

  /** Input features {@code d}. */
  public int features() {
    return features;
  }

  /** Rows accumulated {@code n}. */
  public long rows() {
    return rows;
  }

  /** A copy of {@code S}'s upper triangle. */
  public double[] upperTriangle() {
    return upper.clone();
  }

  /** Adds every row of {@code x} (shape {@code [..., d]}). */
  public void add(NDArray x) {
    add(x, null);
  }

  /**
   * Adds the rows of {@code x} (shape {@code [..., d]}) whose {@code mask} value is not 0.
   *
   * @param mask shape {@code x}'s without the last axis (e.g. {@code [batch, tokens]} for {@code [batch, tokens,
   *     d]}), any numeric or boolean type, or null to add every row
   */
  public void add(NDArray x, NDArray mask) {
    long[] shape = x.getShape().getShape();
    if (shape.length == 0 || shape[shape.length - 1] != features) {
      throw new IllegalArgumentException(
          "inputs must have shape [..., " + features + "], found " + x.getShape());
    }
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray r = x.reshape(-1, features);
      if (mask != null) {
        if (mask.size() != r.getShape().get(0)) {
          throw new IllegalArgumentException(
              "the mask must have one value per row of the inputs " + x.getShape() + ", found shape "
                  + mask.getShape());
        }
        NDArray flat = mask.reshape(-1);
        r = r.get(flat.getDataType() == DataType.BOOLEAN ? flat : flat.neq(0));
      }
      long n = r.getShape().get(0);
      if (n == 0) {
        return;
      }
      NDArray xd = r.toType(DataType.FLOAT64, false);
      double[] s = xd.transpose().matMul(xd).toDoubleArray();
      int d = features;
      for (int i = 0, k = 0; i < d; i++) {
        for (int j = i; j < d; j++, k++) {
          double v = s[i * d + j];
          if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(
                "inputs of shape " + x.getShape() + " hold non-finite values (feature " + i + " or " + j + ")");
          }
          upper[k] += v;
        }
      }
      rows += n;
    }
  }

  /** Adds {@code other}'s statistics to these (see the class comment on merge order). */
  public void merge(HessianAccumulator other) {
    if (other.features != features) {
      throw new IllegalArgumentException(
          "cannot merge statistics of " + other.features + " features into " + features);
    }
    for (int k = 0; k < upper.length; k++) {
      upper[k] += other.upper[k];
    }
    rows += other.rows;
  }

  /** {@code H = 2S / n} as a full symmetric {@code d×d} row-major matrix. */
  public double[] hessian() {
    if (rows == 0) {
      throw new IllegalStateException("no input rows were accumulated: the Hessian is undefined");
    }
    int d = features;
    if ((long) d * d > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException(
          "a full " + d + "×" + d + " Hessian does not fit one Java array; use upperTriangle() for this layer");
    }
    double f = 2.0 / rows;
    double[] h = new double[d * d];
    for (int i = 0, k = 0; i < d; i++) {
      for (int j = i; j < d; j++, k++) {
        double v = upper[k] * f;
        h[i * d + j] = v;
        h[j * d + i] = v;
      }
    }
    return h;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HessianAccumulator a && a.features == features && a.rows == rows
        && Arrays.equals(a.upper, upper);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * features + Long.hashCode(rows)) + Arrays.hashCode(upper);
  }

  @Override
  public String toString() {
    return "HessianAccumulator[features=" + features + ", rows=" + rows + "]";
  }
}
