package org.sparkquant.core.exec.ops;

import static org.sparkquant.core.exec.ops.KernelSupport.one;
import static org.sparkquant.core.graph.Attribute.Kind.FLOAT;
import static org.sparkquant.core.graph.Attribute.Kind.INT;

import ai.djl.ndarray.NDArray;
import org.sparkquant.core.exec.KernelContext;
import org.sparkquant.core.exec.OpLibrary;
import org.sparkquant.core.exec.OpRegistry;
import org.sparkquant.core.exec.Scalars;

/** MatMul and Gemm. */
public final class MatrixOps implements OpLibrary {
  @Override
  public void register(OpRegistry r) {
    r.register("MatMul", (ctx, in) -> one(in[0].matMul(in[1])));
    r.register("Gemm", MatrixOps::gemm, "alpha", FLOAT, "beta", FLOAT, "transA", INT, "transB", INT);
  }

  /** {@code alpha·op(A)·op(B) + beta·C}; the common {@code transB=1, alpha=beta=1} case is one fused linear call. */
  private static NDArray[] gemm(KernelContext ctx, NDArray[] in) {
    float alpha = ctx.attrFloat("alpha", 1f);
    float beta = ctx.attrFloat("beta", 1f);
    NDArray a = ctx.attrLong("transA", 0) != 0 ? in[0].transpose() : in[0];
    boolean transB = ctx.attrLong("transB", 0) != 0;
    NDArray c = in.length > 2 ? in[2] : null;
    if (transB && alpha == 1f && (c == null || beta == 1f) && (c == null || c.getShape().dimension() <= 1)) {
      return one(a.getNDArrayInternal().linear(a, in[1], c).singletonOrThrow());
    }
    NDArray y = a.matMul(transB ? in[1].transpose() : in[1]);
    if (alpha != 1f) {
      y = Scalars.mul(y, alpha);
    }
    if (c != null) {
      y = y.add(beta == 1f ? c : Scalars.mul(c, beta));
    }
    return one(y);
  }
}
