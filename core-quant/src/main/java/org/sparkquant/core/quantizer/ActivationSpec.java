package org.sparkquant.core.quantizer;

import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.Scheme;
import org.sparkquant.core.observer.HistogramObserver;
import org.sparkquant.core.observer.MinMaxObserver;
import org.sparkquant.core.observer.Observer;
import org.sparkquant.core.observer.RangeConfig;

/**
 * How activations are quantized: type and scheme (per tensor), and the observer that chooses their ranges.
 *
 * @param type target type
 * @param scheme symmetric or asymmetric
 * @param observer how ranges are chosen
 * @param percentile for {@link ObserverKind#PERCENTILE}, e.g. 99.999; ignored otherwise
 */
public record ActivationSpec(QuantType type, Scheme scheme, ObserverKind observer, double percentile) {
  /** Range observers for activations. */
  public enum ObserverKind {
    MINMAX,
    PERCENTILE,
    ENTROPY,
    MSE
  }

  /** Histogram bins for the histogram observers. */
  public static final int BINS = 4096;

  public ActivationSpec {
    if (type.isFloat() && scheme == Scheme.ASYMMETRIC) {
      throw new IllegalArgumentException(type + " activations must be symmetric");
    }
    if (observer == ObserverKind.PERCENTILE && !(percentile > 50 && percentile <= 100)) {
      throw new IllegalArgumentException("percentile must be in (50, 100], found " + percentile);
    }
  }

  /** Min/max ranges with the type's natural scheme: asymmetric for unsigned types, symmetric otherwise. */
  public static ActivationSpec minMax(QuantType type) {
    return new ActivationSpec(type, type.isFloat() || type.isSigned() ? Scheme.SYMMETRIC : Scheme.ASYMMETRIC,
        ObserverKind.MINMAX, 100);
  }

  /** A per-tensor observer for this spec. */
  public Observer<?> newObserver() {
    RangeConfig config = RangeConfig.of(type, scheme, Granularity.perTensor());
    return switch (observer) {
      case MINMAX -> new MinMaxObserver(config);
      case PERCENTILE -> new HistogramObserver(config, HistogramObserver.Method.PERCENTILE, BINS, percentile);
      case ENTROPY -> new HistogramObserver(config, HistogramObserver.Method.ENTROPY, BINS, 100);
      case MSE -> new HistogramObserver(config, HistogramObserver.Method.MSE, BINS, 100);
    };
  }
}
