package org.sparkquant.core.exec.check;

import java.util.Map;
import java.util.Optional;
import org.sparkquant.core.exec.KernelFusion;
import org.sparkquant.core.exec.OpRegistry;
import org.sparkquant.core.graph.Node;

/**
 * The heavy kernels the self-check verifies, by qualified op type: the products and convolutions where nearly all
 * the engine's time (and its CPU-specific code) goes. Adding one is one {@link ReferenceKernel} and one entry.
 */
public final class ReferenceKernels {
  private static final Map<String, ReferenceKernel> KERNELS = Map.of(
      "Conv", ConvReference.conv(),
      "ConvTranspose", ConvReference.convTranspose(),
      "MatMul", MatMulReference.matMul(),
      "Gemm", MatMulReference.gemm(),
      OpRegistry.SPARKQUANT_DOMAIN + ":" + KernelFusion.MATMUL_BIAS, MatMulReference.matMulBias());

  private ReferenceKernels() {}

  /** The reference for {@code node}'s operator, if it is a heavy kernel. */
  public static Optional<ReferenceKernel> of(Node node) {
    return Optional.ofNullable(KERNELS.get(node.qualifiedOpType()));
  }
}
