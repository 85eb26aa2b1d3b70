package org.sparkquant.core.quantizer;

import java.util.Arrays;
import java.util.Locale;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.Scheme;

/**
 * Named starting points. Weights are symmetric; activations, where a preset has them, are INT8 per tensor (FP8 for
 * {@code fp8a8}).
 */
public enum Preset {
  W8(weights(QuantType.INT8, WeightSpec.Layout.PER_CHANNEL, 0), null),
  W8A8(weights(QuantType.INT8, WeightSpec.Layout.PER_CHANNEL, 0), QuantType.UINT8),
  W4G32(weights(QuantType.INT4, WeightSpec.Layout.PER_BLOCK, 32), null),
  W4G128(weights(QuantType.INT4, WeightSpec.Layout.PER_BLOCK, 128), null),
  W4A8G32(weights(QuantType.INT4, WeightSpec.Layout.PER_BLOCK, 32), QuantType.UINT8),
  W2G16(weights(QuantType.INT2, WeightSpec.Layout.PER_BLOCK, 16), null),
  FP8(weights(QuantType.FP8_E4M3FN, WeightSpec.Layout.PER_CHANNEL, 0), null),
  FP8A8(weights(QuantType.FP8_E4M3FN, WeightSpec.Layout.PER_CHANNEL, 0), QuantType.FP8_E4M3FN),
  FP4G32(weights(QuantType.FP4_E2M1, WeightSpec.Layout.PER_BLOCK, 32), null);

  private final WeightSpec weights;
  private final ActivationSpec activations;

  Preset(WeightSpec weights, QuantType activations) {
    this.weights = weights;
    this.activations = activations == null ? null : ActivationSpec.minMax(activations);
  }

  private static WeightSpec weights(QuantType t, WeightSpec.Layout layout, int block) {
    return new WeightSpec(t, Scheme.SYMMETRIC, layout, block);
  }

  public WeightSpec weights() {
    return weights;
  }

  /** Activation spec (min/max ranges), or null for weight-only presets. */
  public ActivationSpec activations() {
    return activations;
  }

  /** The preset's name as users write it, e.g. {@code w4g32}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The preset named {@code id} (case-insensitive), or an error listing the valid names. */
  public static Preset of(String id) {
    for (Preset p : values()) {
      if (p.id().equalsIgnoreCase(id)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "unknown preset '" + id + "'; expected one of " + Arrays.stream(values()).map(Preset::id).toList());
  }
}
