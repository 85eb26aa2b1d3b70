package org.sparkquant.core.exec.ops;

import static org.sparkquant.core.exec.ops.KernelSupport.one;
import static org.sparkquant.core.graph.Attribute.Kind.INT;
import static org.sparkquant.core.graph.Attribute.Kind.INTS;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.function.BiFunction;
import java.util.stream.IntStream;
import org.sparkquant.core.exec.KernelContext;
import org.sparkquant.core.exec.OpLibrary;
import org.sparkquant.core.exec.OpRegistry;

/** Reduce* operators and ArgMax/ArgMin. */
public final class ReductionOps implements OpLibrary {
  /** A reduction over the given axes, keeping them as size 1. */
  private interface Reduction extends BiFunction<NDArray, int[], NDArray> {}

  @Override
  public void register(OpRegistry r) {
    reduce(r, "ReduceMean", 18, (x, a) -> keep(x, a, (y, i) -> y.mean(new int[] {i}, true)));
    reduce(r, "ReduceSum", 13, (x, a) -> keep(x, a, (y, i) -> y.sum(new int[] {i}, true)));
    reduce(r, "ReduceMax", 18, (x, a) -> keep(x, a, (y, i) -> y.max(new int[] {i}, true)));
    reduce(r, "ReduceMin", 18, (x, a) -> keep(x, a, (y, i) -> y.min(new int[] {i}, true)));
    reduce(r, "ReduceProd", 18, (x, a) -> keep(x, a, (y, i) -> y.prod(new int[] {i}, true)));
    reduce(r, "ReduceL1", 18, (x, a) -> keep(x.abs(), a, (y, i) -> y.sum(new int[] {i}, true)));
    reduce(r, "ReduceL2", 18, (x, a) -> keep(x.square(), a, (y, i) -> y.sum(new int[] {i}, true)).sqrt());
    reduce(r, "ReduceSumSquare", 18, (x, a) -> keep(x.square(), a, (y, i) -> y.sum(new int[] {i}, true)));
    reduce(r, "ReduceLogSumExp", 18, (x, a) -> keep(x.exp(), a, (y, i) -> y.sum(new int[] {i}, true)).log());
    r.register("ArgMax", (ctx, in) -> arg(ctx, in[0], true), "axis", INT, "keepdims", INT, "select_last_index", INT);
    r.register("ArgMin", (ctx, in) -> arg(ctx, in[0], false), "axis", INT, "keepdims", INT, "select_last_index", INT);
  }

  /**
   * Axes come from the attribute before {@code axesInputSince} and from the optional second input after; no axes
   * means all axes unless {@code noop_with_empty_axes} is set.
   */
  private static void reduce(OpRegistry r, String op, long axesInputSince, Reduction f) {
    r.register(
        op,
        (ctx, in) -> {
          NDArray x = in[0];
          int rank = x.getShape().dimension();
          long[] axes =
              ctx.opset() >= axesInputSince
                  ? (in.length > 1 && in[1] != null ? ctx.longs(in[1]) : new long[0])
                  : ctx.attrLongs("axes", new long[0]);
          if (axes.length == 0 && ctx.attrLong("noop_with_empty_axes", 0) != 0) {
            return one(x);
          }
          int[] a = axes.length == 0 ? IntStream.range(0, rank).toArray() : KernelSupport.axes(ctx, axes, rank);
          NDArray y = rank == 0 ? x : f.apply(x, a);
          if (ctx.attrLong("keepdims", 1) == 0 && rank > 0) {
            y = y.squeeze(a);
          }
          return one(y);
        },
        "axes", INTS, "keepdims", INT, "noop_with_empty_axes", INT);
  }

  private static NDArray keep(NDArray x, int[] axes, java.util.function.BiFunction<NDArray, Integer, NDArray> f) {
    return KernelSupport.reduceKeep(x, axes, f);
  }

  private static NDArray[] arg(KernelContext ctx, NDArray x, boolean max) {
    int axis = KernelSupport.axis(ctx, ctx.attrLong("axis", 0), x.getShape().dimension());
    if (ctx.attrLong("select_last_index", 0) != 0) {
      throw ctx.error("select_last_index=1 is not supported");
    }
    NDArray y = (max ? x.argMax(axis) : x.argMin(axis)).toType(DataType.INT64, false);
    return one(ctx.attrLong("keepdims", 1) != 0 ? y.expandDims(axis) : y);
  }
}
