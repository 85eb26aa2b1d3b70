package org.sparkquant.core.gptq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The upper Cholesky factor {@code U} of {@code (H + δI)⁻¹} ({@code (H + δI)⁻¹ = Uᵀ U}), which GPTQ's updates read.
 *
 * <p>DJL's PyTorch engine exposes matrix multiplication and a general inverse, but no Cholesky factorization or
 * triangular solve. Factoring {@code H⁻¹} after inverting would need two factorizations and an inverse; instead, with
 * {@code J} the reversal permutation, {@code U = J · L⁻¹ · J} where {@code L} is the lower Cholesky factor of
 * {@code J H J} (then {@code Uᵀ U = J L⁻ᵀ L⁻¹ J = J (J H J)⁻¹ J = H⁻¹}, {@code U} is upper triangular with a positive
 * diagonal, and the factor is unique): one factorization and one triangular inverse, about {@code n³} flops instead of
 * {@code 7n³/3}. Only the factorization can fail, exactly where a factorization of {@code H} fails.
 *
 * <p>Both run blocked in float64: panels of {@link #PANEL} columns, left-looking, with each panel's update from the
 * columns before it as one engine matrix multiply; the small diagonal blocks are factored and inverted in Java.
 */
final class InverseCholesky {
  /** Panel width of the blocked factorization and inverse. */
  static final int PANEL = 128;

  private InverseCholesky() {}

  /** The damped matrix is not positive definite in float64 (a pivot was not positive, or not a number). */
  static final class NotPositiveDefinite extends ArithmeticException {
    NotPositiveDefinite(int column, double pivot) {
      super("not positive definite: pivot " + pivot + " at column " + column + " of the reversed matrix");
    }
  }

  /**
   * {@code U} as a float32 array owned by {@code m}.
   *
   * @param h symmetric {@code n×n} matrix, row-major (not modified)
   * @param damping added to the diagonal
   * @throws NotPositiveDefinite if {@code h + damping·I} is not positive definite
   */
  static NDArray upperFactorOfInverse(NDManager m, double[] h, int n, double damping) {
    double[] reversed = new double[h.length];
    for (int i = 0; i < n; i++) {
      int src = (n - 1 - i) * n + n - 1;
      int dst = i * n;
      for (int j = 0; j < n; j++) {
        reversed[dst + j] = h[src - j];
      }
      reversed[dst + i] += damping;
    }
    try (NDManager s = m.newSubManager()) {
      NDArray a = s.create(reversed, new Shape(n, n));
      reversed = null;
      NDArray inverse = lowerInverse(s, a, n);
      NDArray u = inverse.flip(0, 1).toType(DataType.FLOAT32, false);
      u.attach(m);
      return u;
    }
  }

  /**
   * {@code L⁻¹} for the lower Cholesky factor {@code L} of {@code a}: row panel {@code [k, e)} of {@code L} is
   * {@code a[k:, k:e] − L[k:, :k] · L[k:e, :k]ᵀ} with its top block factored in Java and the rest multiplied by that
   * block's inverse; row panel {@code [k, e)} of {@code L⁻¹} is {@code −L11⁻¹ · L[k:e, :k] · L⁻¹[:k, :k]} beside
   * {@code L11⁻¹}.
   */
  static NDArray lowerInverse(NDManager s, NDArray a, int n) {
    NDArray l = s.zeros(new Shape(n, n), DataType.FLOAT64);
    NDArray x = s.zeros(new Shape(n, n), DataType.FLOAT64);
    for (int k = 0; k < n; k += PANEL) {
      int e = Math.min(k + PANEL, n);
      int b = e - k;
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray panel = a.get(rows(k, n).addSliceDim(k, e));
        if (k > 0) {
          panel = panel.sub(l.get(rows(k, n).addSliceDim(0, k)).matMul(l.get(rows(k, e).addSliceDim(0, k)).transpose()));
        }
        double[] top = panel.get(rows(0, b)).toDoubleArray();
        double[] l11 = factor(top, b, k);
        double[] l11inv = invertLower(l11, b);
        NDArray inv11 = s.create(l11inv, new Shape(b, b));
        l.set(rows(k, e).addSliceDim(k, e), s.create(l11, new Shape(b, b)));
        x.set(rows(k, e).addSliceDim(k, e), inv11);
        if (e < n) {
          l.set(rows(e, n).addSliceDim(k, e), panel.get(rows(b, n - k)).matMul(inv11.transpose()));
        }
        if (k > 0) {
          NDArray t = triangularProduct(l.get(rows(k, e)), x, k);
          x.set(rows(k, e).addSliceDim(0, k), inv11.matMul(t).negi());
        }
        inv11.close();
      }
    }
    l.close();
    return x;
  }

  /**
   * {@code lRows[:, :k] · x[:k, :k]} for lower triangular {@code x}: per column panel {@code [c, c+PANEL)} only the
   * rows of {@code x} from {@code c} on are non-zero, so each panel is one product over {@code [c, k)}; half the
   * flops of a full product.
   */
  private static NDArray triangularProduct(NDArray lRows, NDArray x, int k) {
    NDArray[] parts = new NDArray[(k + PANEL - 1) / PANEL];
    for (int c = 0, p = 0; c < k; c += PANEL, p++) {
      int ce = Math.min(c + PANEL, k);
      parts[p] = lRows.get(new NDIndex().addAllDim().addSliceDim(c, k))
          .matMul(x.get(rows(c, k).addSliceDim(c, ce)));
    }
    return parts.length == 1 ? parts[0] : ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(parts), 1);
  }

  private static NDIndex rows(long from, long to) {
    return new NDIndex().addSliceDim(from, to);
  }

  /** Lower Cholesky factor of the {@code b×b} row-major {@code a}; {@code offset} only names columns in errors. */
  static double[] factor(double[] a, int b, int offset) {
    double[] l = new double[b * b];
    for (int j = 0; j < b; j++) {
      double d = a[j * b + j];
      for (int p = 0; p < j; p++) {
        d -= l[j * b + p] * l[j * b + p];
      }
      if (!(d > 0)) {
        throw new NotPositiveDefinite(offset + j, d);
      }
      double ljj = Math.sqrt(d);
      l[j * b + j] = ljj;
      for (int i = j + 1; i < b; i++) {
        double v = a[i * b + j];
        for (int p = 0; p < j; p++) {
          v -= l[i * b + p] * l[j * b + p];
        }
        l[i * b + j] = v / ljj;
      }
    }
    return l;
  }

  /** Inverse of the {@code b×b} row-major lower triangular {@code l} (forward substitution). */
  static double[] invertLower(double[] l, int b) {
    double[] x = new double[b * b];
    for (int j = 0; j < b; j++) {
      x[j * b + j] = 1 / l[j * b + j];
      for (int i = j + 1; i < b; i++) {
        double v = 0;
        for (int p = j; p < i; p++) {
          v += l[i * b + p] * x[p * b + j];
        }
        x[i * b + j] = -v / l[i * b + i];
      }
    }
    return x;
  }
}
