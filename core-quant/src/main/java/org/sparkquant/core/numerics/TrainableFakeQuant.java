package org.sparkquant.core.numerics;

import ai.djl.ndarray.NDArray;

/**
 * Fake quantization with gradients, for quantization-aware training.
 *
 * <ul>
 *   <li><b>Straight-through estimator</b>: rounding passes gradients unchanged; clamping passes them only inside the
 *       clipping range, so {@code ∂y/∂x = 1} where {@code x/s + zp} lies in {@code [min, max]} and 0 outside.
 *   <li><b>LSQ</b> (Esser et al. 2020, "Learned Step Size Quantization"): when the scale is learnable, the estimator
 *       above gives {@code ∂y/∂s = round(x/s) − x/s} inside the range and {@code min − zp} or {@code max − zp}
 *       outside; the scale's gradient is multiplied by {@code g = 1/√(N·max)} (N elements per scale), as the paper
 *       prescribes, without changing its value. A learnable zero point (LSQ+) is rounded with the STE as well.
 * </ul>
 *
 * <p>Integer types only; the forward value equals {@link EngineQuantizer#fakeQuantize}'s.
 */
public final class TrainableFakeQuant {
  private TrainableFakeQuant() {}

  /**
   * @param x input
   * @param scale scales broadcastable to {@code x} (may require gradients)
   * @param zeroPoint zero points broadcastable to {@code x} (may require gradients)
   * @param type integer target type
   * @param scaleGradFactor LSQ's {@code g}; 1 for a plain STE
   */
  public static NDArray apply(NDArray x, NDArray scale, NDArray zeroPoint, QuantType type, float scaleGradFactor) {
    if (type.isFloat()) {
      throw new IllegalArgumentException("trainable fake quantization supports integer types, not " + type);
    }
    NDArray s = scaleGradFactor == 1f ? scale : gradScale(scale, scaleGradFactor);
    NDArray zp = roundSte(zeroPoint);
    NDArray v = roundSte(x.div(s)).add(zp).clip(type.min(), type.max());
    return v.sub(zp).mul(s);
  }

  /** LSQ's gradient scale {@code g = 1 / sqrt(elementsPerScale · max)}. */
  public static float lsqGradFactor(long elementsPerScale, QuantType type) {
    return (float) (1 / Math.sqrt((double) elementsPerScale * type.max()));
  }

  /**
   * {@code round(v)} forward, identity backward. The forward value is exactly {@code round(v)}: {@code round(v) − v}
   * is exact (Sterbenz), so adding {@code v} back rounds to the representable {@code round(v)}.
   */
  static NDArray roundSte(NDArray v) {
    return v.add(v.round().sub(v).stopGradient());
  }

  /**
   * {@code v} forward (exactly: {@code v + (t − t)} with {@code t = g·v}), gradient multiplied by {@code g} backward.
   */
  static NDArray gradScale(NDArray v, float g) {
    NDArray t = v.mul(g);
    return v.stopGradient().add(t.sub(t.stopGradient()));
  }
}
