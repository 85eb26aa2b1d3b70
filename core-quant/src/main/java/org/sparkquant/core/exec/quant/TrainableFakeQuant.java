package org.sparkquant.core.exec.quant;

import ai.djl.ndarray.NDArray;
import org.sparkquant.core.exec.Scalars;
import org.sparkquant.core.numerics.QuantType;

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

  /**
   * The straight-through estimator with fixed parameters, in fewer engine passes than {@link #apply}: the fake-quantized
   * value {@code q} and the in-range mask {@code m} are computed without gradients, and {@code y = x·m + (q − x·m)}
   * with the parenthesis detached. The forward value is exactly {@code q} (a zero may lose its sign): where
   * {@code m = 0} it is {@code 0 + q}; where {@code m = 1}, {@code q − x} is exact (either {@code q = 0}, or {@code q}
   * and {@code x} are within a factor of two of each other, Sterbenz) and so is {@code x + (q − x)}.
   *
   * @param b the parameters broadcast against {@code x}
   */
  public static NDArray straightThrough(NDArray x, EngineQuantizer.Broadcast b, QuantType type) {
    if (type.isFloat()) {
      throw new IllegalArgumentException("trainable fake quantization supports integer types, not " + type);
    }
    NDArray[] qm = new NDArray[2];
    try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray v = x.stopGradient().div(b.scale()).round();
      if (!b.zeroPointIsZero()) {
        v = v.add(b.zeroPoint());
      }
      NDArray inside = v.gte(type.min()).logicalAnd(v.lte(type.max())).toType(ai.djl.ndarray.types.DataType.FLOAT32,
          false);
      NDArray q = v.clip(type.min(), type.max());
      if (!b.zeroPointIsZero()) {
        q = q.sub(b.zeroPoint());
      }
      qm[0] = q.mul(b.scale());
      qm[1] = inside;
      ai.djl.ndarray.NDScope.unregister(qm);
    }
    ai.djl.ndarray.NDScope.register(qm[0]);
    ai.djl.ndarray.NDScope.register(qm[1]);
    NDArray kept = x.mul(qm[1]);
    return kept.add(qm[0].sub(kept).stopGradient());
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
    NDArray t = Scalars.mul(v, g);
    return v.stopGradient().add(t.sub(t.stopGradient()));
  }
}
