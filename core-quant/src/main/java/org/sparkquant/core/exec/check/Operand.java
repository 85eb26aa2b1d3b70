package org.sparkquant.core.exec.check;

import org.sparkquant.core.graph.Tensor;

/** A node input on the host: row-major float values and their shape. */
public record Operand(float[] data, long[] shape) {
  public Operand {
    if (Tensor.numElements(shape) != data.length) {
      throw new IllegalArgumentException(
          "operand of shape " + java.util.Arrays.toString(shape) + " needs " + Tensor.numElements(shape)
              + " values, found " + data.length);
    }
  }

  public int rank() {
    return shape.length;
  }

  public long dim(int axis) {
    return shape[axis];
  }

  /** Row-major strides. */
  public long[] strides() {
    return strides(shape);
  }

  static long[] strides(long[] shape) {
    long[] s = new long[shape.length];
    long stride = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      s[i] = stride;
      stride *= shape[i];
    }
    return s;
  }
}
