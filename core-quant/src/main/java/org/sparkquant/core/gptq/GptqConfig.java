package org.sparkquant.core.gptq;

import java.util.Objects;
import org.sparkquant.core.quantizer.WeightSpec;

/**
 * How {@link GptqSolver} quantizes one layer.
 *
 * @param weights target type, scheme and layout of the weight, as for round-to-nearest weight quantization;
 *     {@link WeightSpec.Layout#PER_BLOCK} blocks run along the input features (GPTQ's "groups")
 * @param damp relative damping {@code λ}: {@code H += λ · mean(diag H) · I} before factoring; raised ×10 (up to
 *     {@link GptqSolver#DAMPING_ATTEMPTS} tries in all) when the damped Hessian is still not positive definite
 * @param blockSize columns per lazy batch update (128 in the reference implementations); changes speed, not the
 *     result beyond float rounding
 * @param actOrder process columns by descending {@code diag H} (most important inputs first)
 * @param staticGroups compute every group's parameters up front from the original weight instead of at the group's
 *     start from the updated columns; required with {@code actOrder} and groups, since the stored blocks follow the
 *     original column order (ONNX blocked DequantizeLinear)
 */
public record GptqConfig(WeightSpec weights, double damp, int blockSize, boolean actOrder, boolean staticGroups) {
  /** The reference implementations' defaults. */
  public static final double DEFAULT_DAMP = 0.01;

  public static final int DEFAULT_BLOCK_SIZE = 128;

  public GptqConfig {
    Objects.requireNonNull(weights, "weights");
    if (!(damp > 0) || Double.isInfinite(damp)) {
      throw new IllegalArgumentException("damp must be positive and finite (0.01 is the usual value), found " + damp);
    }
    if (blockSize < 1) {
      throw new IllegalArgumentException("blockSize must be positive (128 is the usual value), found " + blockSize);
    }
    boolean groups = weights.layout() == WeightSpec.Layout.PER_BLOCK;
    if (staticGroups && !groups) {
      throw new IllegalArgumentException(
          "staticGroups applies to per-block weights only, found " + weights.describe() + ": drop staticGroups");
    }
    if (actOrder && groups && !staticGroups) {
      throw new IllegalArgumentException(
          "actOrder with per-block weights (" + weights.describe() + ") needs staticGroups: blocks are stored in the"
              + " original column order, so their parameters cannot follow the permuted order");
    }
  }

  /** Defaults (damp 0.01, block 128, no act-order, no static groups) for {@code weights}. */
  public static GptqConfig of(WeightSpec weights) {
    return new GptqConfig(weights, DEFAULT_DAMP, DEFAULT_BLOCK_SIZE, false, false);
  }

  public GptqConfig withDamp(double value) {
    return new GptqConfig(weights, value, blockSize, actOrder, staticGroups);
  }

  public GptqConfig withBlockSize(int value) {
    return new GptqConfig(weights, damp, value, actOrder, staticGroups);
  }

  public GptqConfig withActOrder(boolean value) {
    return new GptqConfig(weights, damp, blockSize, value, staticGroups);
  }

  public GptqConfig withStaticGroups(boolean value) {
    return new GptqConfig(weights, damp, blockSize, actOrder, value);
  }

  /** Group length along the input features, or 0 when the layout has no groups. */
  public int groupSize() {
    return weights.layout() == WeightSpec.Layout.PER_BLOCK ? weights.blockSize() : 0;
  }
}
