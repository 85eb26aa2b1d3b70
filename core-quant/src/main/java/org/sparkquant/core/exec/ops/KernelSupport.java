package org.sparkquant.core.exec.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.sparkquant.core.exec.KernelContext;

/**
 * What kernels share besides the engine: single results, axis and pad arithmetic as ONNX defines it (negative
 * axes, {@code auto_pad}, broadcasting), Gather by index, and reductions over several axes that keep them.
 */
final class KernelSupport {
  private KernelSupport() {}

  static NDArray[] one(NDArray a) {
    return new NDArray[] {a};
  }

  /** Normalizes a possibly negative axis against {@code rank}. */
  static int axis(KernelContext ctx, long axis, int rank) {
    long a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) {
      throw ctx.error("axis " + axis + " is out of range for rank " + rank);
    }
    return (int) a;
  }

  static int[] axes(KernelContext ctx, long[] axes, int rank) {
    int[] out = new int[axes.length];
    for (int i = 0; i < axes.length; i++) {
      out[i] = axis(ctx, axes[i], rank);
    }
    return out;
  }

  /** Selects {@code index} (any shape, int64) along {@code axis}: the ONNX Gather operation. */
  static NDArray take(NDArray x, int axis, NDArray index) {
    return x.get(new NDIndex(":, ".repeat(axis) + "{}", index));
  }

  /** Selects host-computed positions along {@code axis}. */
  static NDArray take(KernelContext ctx, NDArray x, int axis, long[] positions) {
    return take(x, axis, ctx.engineOwned(ctx.manager().create(positions)));
  }

  /**
   * Applies a single-axis reduction (that keeps the axis) over several axes, one axis at a time, since the engine
   * reduces multiple axes only without keeping them.
   */
  static NDArray reduceKeep(NDArray x, int[] axes, java.util.function.BiFunction<NDArray, Integer, NDArray> f) {
    int[] sorted = axes.clone();
    java.util.Arrays.sort(sorted);
    NDArray y = x;
    for (int i = sorted.length - 1; i >= 0; i--) {
      y = f.apply(y, sorted[i]);
    }
    return y;
  }

  static NDArray meanKeep(NDArray x, int[] axes) {
    return reduceKeep(x, axes, (a, axis) -> a.mean(new int[] {axis}, true));
  }

  /** Numpy-style broadcast of two shapes. */
  static long[] broadcastShape(KernelContext ctx, long[] a, long[] b) {
    int rank = Math.max(a.length, b.length);
    long[] out = new long[rank];
    for (int i = 0; i < rank; i++) {
      long da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
      long db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
      if (da != db && da != 1 && db != 1) {
        throw ctx.error("shapes " + new Shape(a) + " and " + new Shape(b) + " do not broadcast");
      }
      out[i] = da == 1 ? db : da;
    }
    return out;
  }

  /**
   * Padding for one spatial axis as ONNX defines it: explicit {@code pads} or derived from {@code auto_pad}.
   *
   * @return {begin, end} per spatial axis, flattened as ONNX orders pads (all begins, then all ends)
   */
  static long[] convPads(
      KernelContext ctx, long[] inSpatial, long[] kernel, long[] strides, long[] dilations) {
    int n = inSpatial.length;
    String autoPad = ctx.attrString("auto_pad", "NOTSET");
    long[] pads = ctx.attrLongs("pads", new long[2 * n]);
    switch (autoPad) {
      case "NOTSET", "" -> {
        if (pads.length != 2 * n) {
          throw ctx.error("pads must have " + 2 * n + " values, found " + pads.length);
        }
      }
      case "VALID" -> pads = new long[2 * n];
      case "SAME_UPPER", "SAME_LOWER" -> {
        pads = new long[2 * n];
        for (int i = 0; i < n; i++) {
          long out = (inSpatial[i] + strides[i] - 1) / strides[i];
          long total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inSpatial[i]);
          long small = total / 2;
          pads[i] = autoPad.equals("SAME_UPPER") ? small : total - small;
          pads[i + n] = total - pads[i];
        }
      }
      default -> throw ctx.error("auto_pad '" + autoPad + "' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
    }
    return pads;
  }

  /** Whether ONNX pads are the same at both ends of every axis. */
  static boolean symmetric(long[] pads) {
    int n = pads.length / 2;
    for (int i = 0; i < n; i++) {
      if (pads[i] != pads[i + n]) {
        return false;
      }
    }
    return true;
  }

  static long[] fill(int n, long v) {
    long[] a = new long[n];
    java.util.Arrays.fill(a, v);
    return a;
  }

  static long[] tail(long[] shape, int from) {
    return java.util.Arrays.copyOfRange(shape, from, shape.length);
  }
}
