package org.sparkquant.core.gptq;

import org.sparkquant.core.quantizer.WeightSpec;

/**
 * GPTQ settings shared by every layer of a model; each layer's {@link GptqConfig} adds the layer's weight spec.
 *
 * @param damp relative damping {@code λ} ({@link GptqConfig#damp()})
 * @param blockSize columns per lazy batch update ({@link GptqConfig#blockSize()})
 * @param actOrder columns by descending {@code diag H} ({@link GptqConfig#actOrder()})
 * @param staticGroups group parameters from the original weight ({@link GptqConfig#staticGroups()}); applies to
 *     per-block weights only, and is required with {@code actOrder} for them
 */
public record GptqOptions(double damp, int blockSize, boolean actOrder, boolean staticGroups)
    implements java.io.Serializable {
  public GptqOptions {
    // the checks of GptqConfig that do not depend on the spec
    new GptqConfig(new WeightSpec(org.sparkquant.core.numerics.QuantType.INT8,
        org.sparkquant.core.numerics.Scheme.SYMMETRIC, WeightSpec.Layout.PER_TENSOR, 0), damp, blockSize, actOrder,
        false);
  }

  /** The reference implementations' defaults: damp 0.01, block 128, no act-order, no static groups. */
  public static GptqOptions defaults() {
    return new GptqOptions(GptqConfig.DEFAULT_DAMP, GptqConfig.DEFAULT_BLOCK_SIZE, false, false);
  }

  public GptqOptions withActOrder(boolean value) {
    return new GptqOptions(damp, blockSize, value, staticGroups);
  }

  public GptqOptions withStaticGroups(boolean value) {
    return new GptqOptions(damp, blockSize, actOrder, value);
  }

  /**
   * The solver's config for a layer quantized to {@code spec}: static groups only where the spec has groups.
   *
   * @throws IllegalArgumentException for act-order on per-block weights without static groups
   */
  public GptqConfig config(WeightSpec spec) {
    boolean groups = spec.layout() == WeightSpec.Layout.PER_BLOCK;
    return new GptqConfig(spec, damp, blockSize, actOrder, staticGroups && groups);
  }
}
