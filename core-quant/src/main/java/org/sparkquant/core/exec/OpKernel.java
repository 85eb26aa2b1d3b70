package org.sparkquant.core.exec;

import ai.djl.ndarray.NDArray;

/** Computes one operator. Kernels are stateless; everything about the node comes from the context. */
@FunctionalInterface
public interface OpKernel {
  /**
   * @param ctx node, opset, attributes and the run's manager
   * @param inputs input arrays in node order; null where an optional input is omitted
   * @return output arrays in node order
   */
  NDArray[] run(KernelContext ctx, NDArray[] inputs);
}
