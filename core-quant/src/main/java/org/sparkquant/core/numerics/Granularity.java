package org.sparkquant.core.numerics;

/**
 * Which elements share one scale (and zero point): the whole tensor, each index along a channel axis, or contiguous
 * blocks of {@code blockSize} elements along an axis (one scale per block and per index of every other axis, as ONNX
 * blocked quantization lays them out).
 */
public sealed interface Granularity {

  /** One scale for the tensor. */
  record PerTensor() implements Granularity {}

  /** One scale per index along {@code axis} (negative counts from the end). */
  record PerChannel(int axis) implements Granularity {}

  /** One scale per {@code blockSize} consecutive elements along {@code axis}, per index of the other axes. */
  record PerBlock(int axis, int blockSize) implements Granularity {
    public PerBlock {
      if (blockSize < 1) {
        throw new IllegalArgumentException("block size must be positive, found " + blockSize);
      }
    }
  }

  static Granularity perTensor() {
    return new PerTensor();
  }

  static Granularity perChannel(int axis) {
    return new PerChannel(axis);
  }

  static Granularity perBlock(int axis, int blockSize) {
    return new PerBlock(axis, blockSize);
  }

  /**
   * Shape of the scale (and zero point) tensor for data of shape {@code shape}, as ONNX expects it: {@code []} per
   * tensor, {@code [shape[axis]]} per channel, and {@code shape} with {@code shape[axis]} replaced by
   * {@code ceil(shape[axis] / blockSize)} per block.
   */
  default long[] paramShape(long[] shape) {
    if (this instanceof PerTensor) {
      return new long[0];
    }
    int rank = shape.length;
    int axis = this instanceof PerChannel c ? c.axis() : ((PerBlock) this).axis();
    int a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) {
      throw new IllegalArgumentException("axis " + axis + " is out of range for rank " + rank);
    }
    if (this instanceof PerChannel) {
      return new long[] {shape[a]};
    }
    long[] s = shape.clone();
    int block = ((PerBlock) this).blockSize();
    s[a] = (shape[a] + block - 1) / block;
    return s;
  }

  /** The axis normalized against {@code rank}, or -1 per tensor. */
  default int axis(int rank) {
    if (this instanceof PerTensor) {
      return -1;
    }
    int axis = this instanceof PerChannel c ? c.axis() : ((PerBlock) this).axis();
    return axis < 0 ? axis + rank : axis;
  }
}
