package org.sparkquant.core.exec.check;

import org.sparkquant.core.exec.KernelContext;

/**
 * Matrix products by their definitions: ONNX {@code MatMul} (NumPy semantics: batch axes broadcast, a 1-D operand is
 * a row or a column), {@code Gemm} ({@code alpha·op(A)·op(B) + beta·C}, C broadcast), and the executor's fused
 * {@code MatMulBias} ({@code x·W + b}).
 */
public final class MatMulReference implements ReferenceKernel {
  private enum Kind {
    MATMUL,
    GEMM,
    MATMUL_BIAS
  }

  private final Kind kind;

  private MatMulReference(Kind kind) {
    this.kind = kind;
  }

  public static MatMulReference matMul() {
    return new MatMulReference(Kind.MATMUL);
  }

  public static MatMulReference gemm() {
    return new MatMulReference(Kind.GEMM);
  }

  public static MatMulReference matMulBias() {
    return new MatMulReference(Kind.MATMUL_BIAS);
  }

  @Override
  public int channelAxis(int outputRank) {
    return outputRank - 1;
  }

  @Override
  public Sampled compute(KernelContext ctx, Operand[] in, long[] outputShape, long[] positions) {
    Operand a = in[0];
    Operand b = in[1];
    boolean transA = kind == Kind.GEMM && ctx.attrLong("transA", 0) != 0;
    boolean transB = kind == Kind.GEMM && ctx.attrLong("transB", 0) != 0;
    double alpha = kind == Kind.GEMM ? ctx.attrFloat("alpha", 1f) : 1;
    double beta = kind == Kind.GEMM ? ctx.attrFloat("beta", 1f) : 1;
    Operand c = in.length > 2 ? in[2] : null;
    // Operands as [batch..., rows, cols]; a 1-D left operand is one row, a 1-D right operand one column.
    long[] as = a.rank() == 1 ? new long[] {1, a.dim(0)} : a.shape();
    long[] bs = b.rank() == 1 ? new long[] {b.dim(0), 1} : b.shape();
    long k = transA ? as[as.length - 2] : as[as.length - 1];
    long cols = transB ? bs[bs.length - 2] : bs[bs.length - 1];
    long rows = transA ? as[as.length - 1] : as[as.length - 2];
    int batchRank = Math.max(as.length, bs.length) - 2;
    long[] batch = new long[batchRank];
    long batchSize = 1;
    for (int i = 0; i < batchRank; i++) {
      batch[i] = Math.max(dimFromEnd(as, batchRank - i + 2), dimFromEnd(bs, batchRank - i + 2));
      batchSize *= batch[i];
    }
    if (batchSize * rows * cols != org.sparkquant.core.graph.Tensor.numElements(outputShape)) {
      throw new IllegalArgumentException("output shape " + java.util.Arrays.toString(outputShape) + " does not match "
          + java.util.Arrays.toString(a.shape()) + " x " + java.util.Arrays.toString(b.shape()));
    }
    long[] aStrides = Operand.strides(as);
    long[] bStrides = Operand.strides(bs);
    double[] values = new double[positions.length];
    double[] magnitudes = new double[positions.length];
    for (int p = 0; p < positions.length; p++) {
      long col = positions[p] % cols;
      long row = positions[p] / cols % rows;
      long flatBatch = positions[p] / (cols * rows);
      long aBase = 0;
      long bBase = 0;
      for (int i = batchRank - 1; i >= 0; i--) {
        long idx = flatBatch % batch[i];
        flatBatch /= batch[i];
        aBase += broadcastOffset(as, aStrides, batchRank - i + 2, idx);
        bBase += broadcastOffset(bs, bStrides, batchRank - i + 2, idx);
      }
      int ai = (int) (aBase + (transA ? row : row * aStrides[as.length - 2]));
      int bi = (int) (bBase + (transB ? col * bStrides[bs.length - 2] : col));
      int aStep = (int) (transA ? aStrides[as.length - 2] : 1);
      int bStep = (int) (transB ? 1 : bStrides[bs.length - 2]);
      float[] ad = a.data();
      float[] bd = b.data();
      double sum = 0;
      double mag = 0;
      for (long j = 0; j < k; j++, ai += aStep, bi += bStep) {
        double term = (double) ad[ai] * bd[bi];
        sum += term;
        mag += Math.abs(term);
      }
      sum *= alpha;
      mag *= Math.abs(alpha);
      if (c != null) {
        double bias = beta * c.data()[(int) biasIndex(c, row, col)];
        sum += bias;
        mag += Math.abs(bias);
      }
      values[p] = sum;
      magnitudes[p] = mag;
    }
    return new Sampled(values, magnitudes);
  }

  /** Size of the axis {@code fromEnd} places from the end, 1 where the operand has fewer axes. */
  private static long dimFromEnd(long[] shape, int fromEnd) {
    return fromEnd <= shape.length ? shape[shape.length - fromEnd] : 1;
  }

  private static long broadcastOffset(long[] shape, long[] strides, int fromEnd, long index) {
    if (fromEnd > shape.length || shape[shape.length - fromEnd] == 1) {
      return 0;
    }
    return index * strides[shape.length - fromEnd];
  }

  /** Position in a bias broadcast to {@code [rows, cols]} (Gemm's C: scalar, [cols], [rows, 1], [rows, cols]...). */
  private static long biasIndex(Operand c, long row, long col) {
    long[] s = c.shape();
    long[] st = c.strides();
    long at = 0;
    if (s.length >= 1 && s[s.length - 1] != 1) {
      at += col * st[s.length - 1];
    }
    if (s.length >= 2 && s[s.length - 2] != 1) {
      at += row * st[s.length - 2];
    }
    return at;
  }
}
