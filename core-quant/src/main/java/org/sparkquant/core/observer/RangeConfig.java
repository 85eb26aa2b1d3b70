package org.sparkquant.core.observer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.Scheme;

/**
 * What every range observer is configured with: target type, scheme, granularity (per tensor or per channel) and
 * the non-finite policy.
 */
public record RangeConfig(QuantType type, Scheme scheme, Granularity granularity, NonFinitePolicy nonFinite) {
  public RangeConfig {
    if (granularity instanceof Granularity.PerBlock) {
      throw new IllegalArgumentException("observers are per tensor or per channel; per-block ranges come from weights");
    }
  }

  public static RangeConfig of(QuantType type, Scheme scheme, Granularity granularity) {
    return new RangeConfig(type, scheme, granularity, NonFinitePolicy.ERROR);
  }

  /** Number of channels for data of this shape (1 per tensor). */
  int channels(long[] shape) {
    return granularity instanceof Granularity.PerChannel ? (int) shape[granularity.axis(shape.length)] : 1;
  }

  /** Data as {@code [channels, rest]} float32 on the engine (channel axis moved first). */
  NDArray byChannel(NDArray x) {
    NDArray f = x.getDataType() == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
    long[] shape = f.getShape().getShape();
    if (!(granularity instanceof Granularity.PerChannel)) {
      return f.reshape(1, -1);
    }
    int axis = granularity.axis(shape.length);
    return f.swapAxes(0, axis).reshape(new Shape(shape[axis], -1));
  }

  /** Parameters from per-channel ranges. */
  QuantParams params(long[] shape, float[] min, float[] max) {
    return scheme.params(type, granularity, granularity.paramShape(shape), min, max);
  }

  /** Applies the non-finite policy to a host value: returns NaN for values to ignore. */
  float filter(String tensor, float v) {
    if (Float.isFinite(v)) {
      return v;
    }
    return switch (nonFinite) {
      case ERROR -> throw nonFiniteError(tensor, 1);
      case SKIP -> Float.NaN;
      case CLIP -> Float.isNaN(v) ? Float.NaN : v > 0 ? Float.MAX_VALUE : -Float.MAX_VALUE;
    };
  }

  NonFiniteValuesException nonFiniteError(String tensor, long count) {
    return new NonFiniteValuesException(
        "tensor '" + tensor + "' has " + (count > 1 ? count + " " : "") + "NaN or infinite values; expected finite "
            + "values (to tolerate them, set the non-finite policy to skip or clip: 'activations: {non_finite: skip}' in a"
            + " config file)");
  }
}
