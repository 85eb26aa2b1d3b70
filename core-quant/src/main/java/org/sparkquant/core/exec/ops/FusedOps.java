package org.sparkquant.core.exec.ops;

import static org.sparkquant.core.exec.ops.KernelSupport.one;

import org.sparkquant.core.exec.KernelFusion;
import org.sparkquant.core.exec.OpLibrary;
import org.sparkquant.core.exec.OpRegistry;

/** Kernels for the patterns {@link KernelFusion} creates, in SparkQuant's own domain. */
public final class FusedOps implements OpLibrary {
  @Override
  public void register(OpRegistry r) {
    // x @ W + b as one multiply-add: the engine's linear takes W as [out, in]; the transposed view costs no copy.
    r.register(
        OpRegistry.SPARKQUANT_DOMAIN + ":" + KernelFusion.MATMUL_BIAS,
        (ctx, in) -> one(in[0].getNDArrayInternal().linear(in[0], in[1].transpose(), in[2]).singletonOrThrow()));
  }
}
