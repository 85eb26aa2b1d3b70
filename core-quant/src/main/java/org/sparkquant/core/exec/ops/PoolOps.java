package org.sparkquant.core.exec.ops;

import static org.sparkquant.core.exec.ops.KernelSupport.one;
import static org.sparkquant.core.graph.Attribute.Kind.INT;
import static org.sparkquant.core.graph.Attribute.Kind.INTS;
import static org.sparkquant.core.graph.Attribute.Kind.STRING;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.stream.IntStream;
import org.sparkquant.core.exec.EngineArrays;
import org.sparkquant.core.exec.KernelContext;
import org.sparkquant.core.exec.OpLibrary;
import org.sparkquant.core.exec.OpRegistry;

/** MaxPool, AveragePool and their global forms. */
public final class PoolOps implements OpLibrary {
  @Override
  public void register(OpRegistry r) {
    Object[] attrs = {
      "auto_pad", STRING, "ceil_mode", INT, "kernel_shape", INTS, "pads", INTS, "strides", INTS,
      "dilations", INTS, "count_include_pad", INT, "storage_order", INT
    };
    r.register("MaxPool", (ctx, in) -> pool(ctx, in[0], true), attrs);
    r.register("AveragePool", (ctx, in) -> pool(ctx, in[0], false), attrs);
    r.register("GlobalAveragePool", (ctx, in) -> one(KernelSupport.meanKeep(in[0], spatialAxes(in[0]))));
    r.register(
        "GlobalMaxPool",
        (ctx, in) -> one(KernelSupport.reduceKeep(in[0], spatialAxes(in[0]), (y, i) -> y.max(new int[] {i}, true))));
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
    long[] strides = ctx.attrLongs("strides", KernelSupport.fill(n, 1));
    long[] dilations = ctx.attrLongs("dilations", KernelSupport.fill(n, 1));
    for (long d : dilations) {
      if (d != 1) {
        throw ctx.error("dilations other than 1 are not supported for pooling");
      }
    }
    long[] pads = KernelSupport.convPads(ctx, KernelSupport.tail(xs, 2), kernel, strides, dilations);
    boolean ceil = ctx.attrLong("ceil_mode", 0) != 0;
    boolean countPad = ctx.attrLong("count_include_pad", 0) != 0;
    boolean explicit = !KernelSupport.symmetric(pads);
    long[] padding = new long[n];
    if (explicit) {
      x = x.pad(EngineArrays.enginePads(pads), max ? Double.NEGATIVE_INFINITY : 0);
    } else {
      System.arraycopy(pads, 0, padding, 0, n);
    }
    Shape k = new Shape(kernel);
    Shape s = new Shape(strides);
    Shape p = new Shape(padding);
    if (max) {
      return one(x.getNDArrayInternal().maxPool(k, s, p, ceil));
    }
    // The engine always counts padding in the divisor (its count_include_pad flag is ignored), so without
    // count_include_pad the window sums are divided by the pooled mask of real elements instead.
    NDArray y = x.getNDArrayInternal().avgPool(k, s, p, ceil, true);
    if (countPad || java.util.Arrays.stream(pads).allMatch(v -> v == 0)) {
      return one(y);
    }
    long[] maskShape = xs.clone();
    maskShape[0] = 1;
    maskShape[1] = 1;
    NDArray mask = ctx.manager().ones(new Shape(maskShape), x.getDataType());
    if (explicit) {
      mask = mask.pad(EngineArrays.enginePads(pads), 0);
    }
    return one(y.div(mask.getNDArrayInternal().avgPool(k, s, p, ceil, true)));
  }
}
