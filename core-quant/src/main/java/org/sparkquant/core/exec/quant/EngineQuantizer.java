package org.sparkquant.core.exec.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.sparkquant.core.exec.EngineArrays;
import org.sparkquant.core.exec.Scalars;
import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;

/**
 * Quantize, dequantize and fake-quantize on engine arrays, vectorized, with the same float32 arithmetic as ONNX
 * Runtime: integer types {@code clamp(round_half_even(x / scale) + zp, min, max)}, dequantize
 * {@code (q - zp) · scale}; float types round {@code x / scale} to the nearest representable value (ties to even),
 * saturating at the largest finite value.
 *
 * <p>Quantized values are returned as float32 arrays holding the codes (integer types) or the small-float values
 * (float types), since the engine has no 4-, 2-bit or FP8 arrays; NaN inputs stay NaN.
 */
public final class EngineQuantizer {
  private EngineQuantizer() {}

  /**
   * Scale and zero point broadcastable against data of {@code shape}.
   *
   * @param zeroPointIsZero whether every zero point is 0, which saves two passes
   */
  public record Broadcast(NDArray scale, NDArray zeroPoint, boolean zeroPointIsZero) {}

  /**
   * The parameters as engine arrays shaped to broadcast against data of {@code shape}, owned by {@code m}, in memory
   * the engine allocated (they may be read again by a backward pass after {@code m} closed them).
   */
  public static Broadcast broadcast(NDManager m, QuantParams p, long[] shape) {
    NDArray scale = EngineArrays.engineOwned(m.create(p.scale(), new Shape(p.paramShape())));
    int[] points = p.zeroPoint(); // a copy: taken once, not per element
    float[] zp = new float[points.length];
    boolean allZero = true;
    for (int i = 0; i < zp.length; i++) {
      zp[i] = points[i];
      allZero &= points[i] == 0;
    }
    NDArray zero = EngineArrays.engineOwned(m.create(zp, new Shape(p.paramShape())));
    return new Broadcast(expand(scale, p.granularity(), shape), expand(zero, p.granularity(), shape), allZero);
  }

  /** A parameter tensor laid out as {@link Granularity#paramShape} made broadcastable against data of {@code shape}. */
  public static NDArray expand(NDArray param, Granularity g, long[] shape) {
    int rank = shape.length;
    int axis = g.axis(rank);
    if (g instanceof Granularity.PerTensor) {
      return param;
    }
    if (g instanceof Granularity.PerChannel) {
      long[] s = new long[rank];
      java.util.Arrays.fill(s, 1);
      s[axis] = shape[axis];
      return param.reshape(new Shape(s));
    }
    int block = ((Granularity.PerBlock) g).blockSize();
    NDArray repeated = param.repeat(axis, block);
    return repeated.getShape().get(axis) == shape[axis]
        ? repeated
        : repeated.get(NDIndex.sliceAxis(axis, 0, shape[axis]));
  }

  /** Values in the quantized domain (codes, or small-float values), as float32. */
  public static NDArray quantize(NDArray x, QuantParams p) {
    return scoped(() -> quantize(x, p.type(), broadcast(x.getManager(), p, x.getShape().getShape())));
  }

  /** {@link #quantize(NDArray, QuantParams)} with parameters already broadcast. */
  public static NDArray quantize(NDArray x, QuantType type, Broadcast b) {
    return scoped(() -> quantizeUnscoped(x, type, b));
  }

  /**
   * Runs {@code f} in its own scope so that every intermediate array is freed at once; the result is handed to the
   * enclosing scope, if any.
   */
  private static NDArray scoped(java.util.function.Supplier<NDArray> f) {
    NDArray result;
    try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
      scope.suppressNotUsedWarning();
      result = f.get();
      ai.djl.ndarray.NDScope.unregister(result);
    }
    ai.djl.ndarray.NDScope.register(result);
    return result;
  }

  private static NDArray quantizeUnscoped(NDArray x, QuantType type, Broadcast b) {
    NDArray v = x.getDataType() == DataType.FLOAT32 ? x.div(b.scale()) : x.toType(DataType.FLOAT32, false).div(b.scale());
    if (type.isFloat()) {
      return roundToSmallFloat(v, type);
    }
    NDArray q = v.round();
    if (!b.zeroPointIsZero()) {
      q.addi(b.zeroPoint());
    }
    return q.clip(type.min(), type.max());
  }

  /** {@code (q - zp) · scale}. */
  public static NDArray dequantize(NDArray q, QuantParams p) {
    return scoped(() -> dequantize(q, broadcast(q.getManager(), p, q.getShape().getShape())));
  }

  public static NDArray dequantize(NDArray q, Broadcast b) {
    NDArray d = b.zeroPointIsZero() ? q.mul(b.scale()) : q.sub(b.zeroPoint());
    if (!b.zeroPointIsZero()) {
      d.muli(b.scale());
    }
    return d;
  }

  /** {@code dequantize(quantize(x))}: the values the exported model will compute with. */
  public static NDArray fakeQuantize(NDArray x, QuantParams p) {
    return scoped(() -> fakeQuantize(x, p.type(), broadcast(x.getManager(), p, x.getShape().getShape())));
  }

  public static NDArray fakeQuantize(NDArray x, QuantType type, Broadcast b) {
    return scoped(() -> fakeQuantizeUnscoped(x, type, b));
  }

  private static NDArray fakeQuantizeUnscoped(NDArray x, QuantType type, Broadcast b) {
    NDArray q = quantizeUnscoped(x, type, b);
    if (!type.isFloat() && !b.zeroPointIsZero()) {
      q.subi(b.zeroPoint());
    }
    q.muli(b.scale());
    return q;
  }

  /** Format of a small float type: mantissa bits and exponent of the smallest normal value. */
  private record Format(int mantissaBits, int minExponent) {
    static Format of(QuantType t) {
      return switch (t) {
        case FP8_E4M3FN -> new Format(3, -6);
        case FP8_E5M2 -> new Format(2, -14);
        case FP4_E2M1 -> new Format(1, 0);
        default -> throw new IllegalArgumentException(t + " is not a float type");
      };
    }
  }

  /**
   * Rounds to the nearest value of a small float type, ties to even, saturating: the binade exponent
   * {@code e = max(floor(log2 |v|), emin)} (corrected so that {@code 2^e ≤ |v| < 2^(e+1)} holds exactly) fixes the
   * step {@code 2^(e - mantissaBits)}, and {@code round(|v| / step) · step} is exact in float32.
   */
  static NDArray roundToSmallFloat(NDArray v, QuantType type) {
    Format f = Format.of(type);
    NDArray clipped = v.clip(-type.max(), type.max());
    NDArray a = clipped.abs();
    NDArray e = a.log2().floor();
    NDArray p = NDArrayPow.exp2(e);
    e = e.sub(p.gt(a).toType(DataType.FLOAT32, false)).add(Scalars.mul(p, 2).lte(a).toType(DataType.FLOAT32, false));
    e = Scalars.maximum(e, f.minExponent());
    NDArray step = NDArrayPow.exp2(Scalars.sub(e, f.mantissaBits()));
    NDArray r = a.div(step).round().mul(step);
    return r.mul(clipped.sign());
  }

  /** Exact powers of two for integer-valued exponents. */
  private static final class NDArrayPow {
    static NDArray exp2(NDArray e) {
      return Scalars.of(e, 2f).pow(Scalars.maximum(e, -149f));
    }
  }
}
