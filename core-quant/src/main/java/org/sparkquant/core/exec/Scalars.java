package org.sparkquant.core.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic of an array with a Java number, through a scalar array the engine allocates. DJL's
 * {@code NDArray.mul(Number)} and its siblings wrap the number in an array that borrows a direct buffer and close it as
 * soon as the result exists; under a gradient collector the backward pass reads that operand again (the gradient of
 * {@code x · s} is {@code s}), by which time a garbage collection may have freed the buffer: wrong, run-dependent
 * gradients. Code that may run while gradients are recorded uses these instead.
 */
public final class Scalars {
  private Scalars() {}

  /** {@code n} as a scalar array of {@code like}'s type, owned by its manager, in memory the engine allocated. */
  public static NDArray of(NDArray like, Number n) {
    return like.getManager().full(new Shape(), n.floatValue(), like.getDataType());
  }

  public static NDArray add(NDArray x, Number n) {
    return x.add(of(x, n));
  }

  public static NDArray sub(NDArray x, Number n) {
    return x.sub(of(x, n));
  }

  public static NDArray mul(NDArray x, Number n) {
    return x.mul(of(x, n));
  }

  public static NDArray div(NDArray x, Number n) {
    return x.div(of(x, n));
  }

  public static NDArray pow(NDArray x, Number n) {
    return x.pow(of(x, n));
  }

  public static NDArray maximum(NDArray x, Number n) {
    return x.maximum(of(x, n));
  }

  public static NDArray minimum(NDArray x, Number n) {
    return x.minimum(of(x, n));
  }
}
