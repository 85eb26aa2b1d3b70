package org.sparkquant.core.exec.check;

import org.sparkquant.core.exec.KernelContext;

/** A plain-Java definition of one operator, evaluated at chosen positions of its first output. */
public interface ReferenceKernel {
  /**
   * @param ctx the node and its attributes (references allocate nothing on the engine)
   * @param inputs the node's inputs in order; null where an optional input is omitted
   * @param outputShape the shape of the node's first output
   * @param positions row-major flat positions in that output
   */
  Sampled compute(KernelContext ctx, Operand[] inputs, long[] outputShape, long[] positions);

  /** The output axis whose every index is sampled (output channels, or matrix columns). */
  int channelAxis(int outputRank);
}
