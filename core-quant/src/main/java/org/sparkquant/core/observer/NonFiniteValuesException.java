package org.sparkquant.core.observer;

/** An observer saw NaN or infinite values under the error policy; the message names the tensor. */
public final class NonFiniteValuesException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public NonFiniteValuesException(String message) {
    super(message);
  }

  /** This error with {@code detail} (e.g. where the values came from) added to its message. */
  public NonFiniteValuesException withDetail(String detail) {
    NonFiniteValuesException e = new NonFiniteValuesException(getMessage() + "; " + detail);
    e.setStackTrace(getStackTrace());
    return e;
  }
}
