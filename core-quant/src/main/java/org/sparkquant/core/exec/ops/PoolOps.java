package org.sparkquant.core.exec.ops;

import static org.sparkquant.core.exec.ops.Arrays2.one;
import static org.sparkquant.core.graph.Attribute.Kind.INT;
import static org.sparkquant.core.graph.Attribute.Kind.INTS;
import static org.sparkquant.core.graph.Attribute.Kind.STRING;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.stream.IntStream;
import org.sparkquant.core.exec.KernelContext;
import org.sparkquant.core.exec.OpRegistry;

/** MaxPool, AveragePool and their global forms. */
public final class PoolOps {
  private PoolOps() {}

  public static void register(OpRegistry r) {
    Object[] attrs = {
      "auto_pad", STRING, "ceil_mode", INT, "kernel_shape", INTS, "pads", INTS, "strides", INTS,
      "dilations", INTS, "count_include_pad", INT, "storage_order", INT
    };
    r.register("MaxPool", (ctx, in) -> pool(ctx, in[0], true), attrs);
    r.register("AveragePool", (ctx, in) -> pool(ctx, in[0], false), attrs);
    r.register("GlobalAveragePool", (ctx, in) -> one(Arrays2.meanKeep(in[0], spatialAxes(in[0]))));
    r.register("GlobalMaxPool", (ctx, in) -> one(Arrays2.reduceKeep(in[0], spatialAxes(in[0]), (y, i) -> y.max(new int[] {i}, true))));
  }

  private static int[] spatialAxes(NDArray x) {
    return IntStream.range(2, x.getShape().dimension()).toArray();
  }

  private static NDArray[] pool(KernelContext ctx, NDArray x, boolean max) {
    long[] xs = x.getShape().getShape();
    int n = xs.length - 2;
    long[] kernel = ctx.attrLongs("kernel_shape", null);
    if (kernel == null) {
      throw ctx.error("attribute 'kernel_shape' is required");
    }
    long[] strides = ctx.attrLongs("strides", Arrays2.fill(n, 1));
    long[] dilations = ctx.attrLongs("dilations", Arrays2.fill(n, 1));
    for (long d : dilations) {
      if (d != 1) {
        throw ctx.error("dilations other than 1 are not supported for pooling");
      }
    }
    long[] pads = Arrays2.convPads(ctx, Arrays2.tail(xs, 2), kernel, strides, dilations);
    boolean ceil = ctx.attrLong("ceil_mode", 0) != 0;
    boolean countPad = ctx.attrLong("count_include_pad", 0) != 0;
    long[] padding = new long[n];
    if (Arrays2.symmetric(pads)) {
      System.arraycopy(pads, 0, padding, 0, n);
    } else if (max || countPad) {
      x = x.pad(Arrays2.enginePads(pads), max ? Double.NEGATIVE_INFINITY : 0);
    } else {
      throw ctx.error("asymmetric pads with count_include_pad=0 are not supported");
    }
    Shape k = new Shape(kernel);
    Shape s = new Shape(strides);
    Shape p = new Shape(padding);
    return one(
        max
            ? x.getNDArrayInternal().maxPool(k, s, p, ceil)
            : x.getNDArrayInternal().avgPool(k, s, p, ceil, countPad));
  }
}
