package org.sparkquant.core.quantizer;

import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.Scheme;

/**
 * How weights are quantized: type, scheme, and granularity relative to the layer, since which axis holds output
 * channels depends on the operator ({@code Conv} weights {@code [out, in, k…]}, {@code MatMul} weights {@code [in,
 * out]}, {@code Gemm} either way).
 *
 * @param type target type
 * @param scheme symmetric or asymmetric
 * @param layout per tensor, per output channel, or blocks along the input dimension
 * @param blockSize block length for {@link Layout#PER_BLOCK}, else 0
 */
public record WeightSpec(QuantType type, Scheme scheme, Layout layout, int blockSize)
    implements java.io.Serializable {
  /** Granularity relative to the layer. */
  public enum Layout {
    PER_TENSOR,
    PER_CHANNEL,
    PER_BLOCK
  }

  public WeightSpec {
    if (layout == Layout.PER_BLOCK && blockSize < 1) {
      throw new IllegalArgumentException("per-block weights need a positive block size, found " + blockSize);
    }
    if (type.isFloat() && scheme == Scheme.ASYMMETRIC) {
      throw new IllegalArgumentException(type + " weights must be symmetric");
    }
  }

  /** The granularity for a weight whose output channels lie on {@code outAxis} and inputs on {@code inAxis}. */
  public Granularity granularity(int outAxis, int inAxis) {
    return switch (layout) {
      case PER_TENSOR -> Granularity.perTensor();
      case PER_CHANNEL -> Granularity.perChannel(outAxis);
      case PER_BLOCK -> Granularity.perBlock(inAxis, blockSize);
    };
  }

  /** Short text for reports, e.g. {@code INT4 per-block 32}. */
  public String describe() {
    return type + " " + switch (layout) {
      case PER_TENSOR -> "per-tensor";
      case PER_CHANNEL -> "per-channel";
      case PER_BLOCK -> "per-block " + blockSize;
    };
  }
}
