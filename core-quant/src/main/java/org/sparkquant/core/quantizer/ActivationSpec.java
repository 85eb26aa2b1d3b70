package org.sparkquant.core.quantizer;

import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.Scheme;
import org.sparkquant.core.observer.HistogramObserver;
import org.sparkquant.core.observer.MinMaxObserver;
import org.sparkquant.core.observer.NonFinitePolicy;
import org.sparkquant.core.observer.Observer;
import org.sparkquant.core.observer.RangeConfig;

/**
 * How activations are quantized: type and scheme (per tensor), and the observer that chooses their ranges.
 *
 * @param type target type
 * @param scheme symmetric or asymmetric
 * @param observer how ranges are chosen
 * @param percentile for {@link ObserverKind#PERCENTILE}, e.g. 99.999; ignored otherwise
 * @param nonFinite what the observers do with NaN and infinite activations (default {@link NonFinitePolicy#ERROR})
 */
public record ActivationSpec(QuantType type, Scheme scheme, ObserverKind observer, double percentile,
    NonFinitePolicy nonFinite) implements java.io.Serializable {
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
    java.util.Objects.requireNonNull(nonFinite, "nonFinite");
    if (type.isFloat() && scheme == Scheme.ASYMMETRIC) {
      throw new IllegalArgumentException(type + " activations must be symmetric");
    }
    if (observer == ObserverKind.PERCENTILE && !(percentile > 50 && percentile <= 100)) {
      throw new IllegalArgumentException("percentile must be in (50, 100], found " + percentile);
    }
  }

  /** A spec that fails on NaN and infinite activations ({@link NonFinitePolicy#ERROR}). */
  public ActivationSpec(QuantType type, Scheme scheme, ObserverKind observer, double percentile) {
    this(type, scheme, observer, percentile, NonFinitePolicy.ERROR);
  }

  /** This spec with another non-finite policy. */
  public ActivationSpec withNonFinite(NonFinitePolicy policy) {
    return new ActivationSpec(type, scheme, observer, percentile, policy);
  }

  /** Min/max ranges with the type's natural scheme: asymmetric for unsigned types, symmetric otherwise. */
  public static ActivationSpec minMax(QuantType type) {
    return new ActivationSpec(type, type.isFloat() || type.isSigned() ? Scheme.SYMMETRIC : Scheme.ASYMMETRIC,
        ObserverKind.MINMAX, 100);
  }

  /** A per-tensor observer for this spec. */
  public Observer<?> newObserver() {
    RangeConfig config = new RangeConfig(type, scheme, Granularity.perTensor(), nonFinite);
    return switch (observer) {
      case MINMAX -> new MinMaxObserver(config);
      case PERCENTILE -> new HistogramObserver(config, HistogramObserver.Method.PERCENTILE, BINS, percentile);
      case ENTROPY -> new HistogramObserver(config, HistogramObserver.Method.ENTROPY, BINS, 100);
      case MSE -> new HistogramObserver(config, HistogramObserver.Method.MSE, BINS, 100);
    };
  }
}
