package org.sparkquant.core.observer;

/** What an observer does with NaN and infinite values. */
public enum NonFinitePolicy {
  /** Fail, naming the tensor and the count of non-finite values (the default). */
  ERROR,
  /** Ignore NaN and infinite values. */
  SKIP,
  /** Ignore NaN; count infinities as the largest finite float of the same sign. */
  CLIP
}
