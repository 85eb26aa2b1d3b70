package org.sparkquant.core.exec.ops;

import static org.sparkquant.core.exec.ops.KernelSupport.one;
import static org.sparkquant.core.graph.Attribute.Kind.FLOAT;
import static org.sparkquant.core.graph.Attribute.Kind.FLOATS;
import static org.sparkquant.core.graph.Attribute.Kind.INT;
import static org.sparkquant.core.graph.Attribute.Kind.INTS;
import static org.sparkquant.core.graph.Attribute.Kind.STRING;
import static org.sparkquant.core.graph.Attribute.Kind.TENSOR;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.sparkquant.core.exec.EngineArrays;
import org.sparkquant.core.exec.KernelContext;
import org.sparkquant.core.exec.OpLibrary;
import org.sparkquant.core.exec.OpRegistry;
import org.sparkquant.core.graph.Tensor;

/** Shape manipulation, indexing, constants and type casts. */
public final class ShapeOps implements OpLibrary {
  @Override
  public void register(OpRegistry r) {
    r.register("Identity", (ctx, in) -> one(in[0]));
    r.register("Dropout", (ctx, in) -> one(in[0]), "ratio", FLOAT, "seed", INT);
    r.register("Reshape", ShapeOps::reshape, "allowzero", INT);
    r.register("Transpose", ShapeOps::transpose, "perm", INTS);
    r.register("Flatten", ShapeOps::flatten, "axis", INT);
    r.register("Squeeze", ShapeOps::squeeze, "axes", INTS);
    r.register("Unsqueeze", ShapeOps::unsqueeze, "axes", INTS);
    r.register("Concat", ShapeOps::concat, "axis", INT);
    r.register("Split", ShapeOps::split, "axis", INT, "split", INTS, "num_outputs", INT);
    r.register("Slice", ShapeOps::slice, "starts", INTS, "ends", INTS, "axes", INTS);
    r.register("Gather", ShapeOps::gather, "axis", INT);
    r.register("Expand", ShapeOps::expand);
    r.register("Tile", (ctx, in) -> one(in[0].tile(ctx.longs(in[1]))));
    r.register("Shape", ShapeOps::shape, "start", INT, "end", INT);
    r.register("Size", (ctx, in) -> one(ctx.engineOwned(ctx.manager().create(in[0].getShape().size()))));
    r.register("ConstantOfShape", ShapeOps::constantOfShape, "value", TENSOR);
    r.register(
        "Constant",
        ShapeOps::constant,
        "value", TENSOR, "value_float", FLOAT, "value_floats", FLOATS, "value_int", INT, "value_ints", INTS);
    r.register("Cast", ShapeOps::cast, "to", INT, "saturate", INT);
    r.register("CastLike", (ctx, in) -> one(in[0].toType(in[1].getDataType(), false)));
    r.register("Range", ShapeOps::range);
    r.register("Pad", ShapeOps::pad, "mode", STRING, "pads", INTS, "value", FLOAT);
  }

  /** Reshape: 0 copies the input dimension (unless {@code allowzero}), -1 is inferred. */
  private static NDArray[] reshape(KernelContext ctx, NDArray[] in) {
    long[] target = ctx.longs(in[1]);
    long[] shape = in[0].getShape().getShape();
    boolean allowZero = ctx.attrLong("allowzero", 0) != 0;
    for (int i = 0; i < target.length; i++) {
      if (target[i] == 0 && !allowZero) {
        if (i >= shape.length) {
          throw ctx.error("shape " + Arrays.toString(target) + " copies dimension " + i + " of a rank-" + shape.length
              + " input");
        }
        target[i] = shape[i];
      }
    }
    return one(in[0].reshape(new Shape(target)));
  }

  private static NDArray[] transpose(KernelContext ctx, NDArray[] in) {
    int rank = in[0].getShape().dimension();
    long[] perm = ctx.attrLongs("perm", null);
    if (perm == null) {
      perm = new long[rank];
      for (int i = 0; i < rank; i++) {
        perm[i] = rank - 1 - i;
      }
    }
    return one(in[0].transpose(KernelSupport.axes(ctx, perm, rank)));
  }

  private static NDArray[] flatten(KernelContext ctx, NDArray[] in) {
    Shape s = in[0].getShape();
    int rank = s.dimension();
    long axis = ctx.attrLong("axis", 1);
    int a = axis == rank ? rank : KernelSupport.axis(ctx, axis, rank);
    return one(in[0].reshape(s.slice(0, a).size(), s.slice(a).size()));
  }

  /** Axes come from the attribute before opset 13 and from the optional second input after. */
  private static long[] axesOf(KernelContext ctx, NDArray[] in, int inputIndex) {
    if (ctx.opset() >= 13) {
      return in.length > inputIndex && in[inputIndex] != null ? ctx.longs(in[inputIndex]) : null;
    }
    return ctx.attrLongs("axes", null);
  }

  private static NDArray[] squeeze(KernelContext ctx, NDArray[] in) {
    long[] axes = axesOf(ctx, in, 1);
    NDArray x = in[0];
    if (axes == null) {
      long[] shape = Arrays.stream(x.getShape().getShape()).filter(d -> d != 1).toArray();
      return one(x.reshape(new Shape(shape)));
    }
    return one(x.squeeze(KernelSupport.axes(ctx, axes, x.getShape().dimension())));
  }

  private static NDArray[] unsqueeze(KernelContext ctx, NDArray[] in) {
    long[] axes = axesOf(ctx, in, 1);
    if (axes == null) {
      throw ctx.error("axes are required");
    }
    long[] shape = in[0].getShape().getShape();
    int rank = shape.length + axes.length;
    boolean[] inserted = new boolean[rank];
    for (int a : KernelSupport.axes(ctx, axes, rank)) {
      inserted[a] = true;
    }
    long[] out = new long[rank];
    for (int i = 0, j = 0; i < rank; i++) {
      out[i] = inserted[i] ? 1 : shape[j++];
    }
    return one(in[0].reshape(new Shape(out)));
  }

  private static NDArray[] concat(KernelContext ctx, NDArray[] in) {
    int rank = in[0].getShape().dimension();
    int axis = KernelSupport.axis(ctx, ctx.attrLong("axis", 0), rank);
    if (in.length == 1) {
      return one(in[0]);
    }
    return one(NDArrays.concat(new NDList(in), axis));
  }

  private static NDArray[] split(KernelContext ctx, NDArray[] in) {
    NDArray x = in[0];
    int axis = KernelSupport.axis(ctx, ctx.attrLong("axis", 0), x.getShape().dimension());
    long dim = x.getShape().get(axis);
    long[] sizes =
        ctx.opset() >= 13 ? (in.length > 1 && in[1] != null ? ctx.longs(in[1]) : null) : ctx.attrLongs("split", null);
    int parts = ctx.node().outputs().size();
    if (sizes == null) {
      parts = (int) ctx.attrLong("num_outputs", parts);
      long chunk = (dim + parts - 1) / parts;
      sizes = new long[parts];
      for (int i = 0; i < parts; i++) {
        sizes[i] = Math.max(0, Math.min(chunk, dim - i * chunk));
      }
    }
    long[] points = new long[sizes.length - 1];
    long acc = 0;
    for (int i = 0; i < points.length; i++) {
      acc += sizes[i];
      points[i] = acc;
    }
    return x.split(points, axis).toArray(new NDArray[0]);
  }

  /** Slice with ONNX clamping rules; negative steps select explicit positions. */
  private static NDArray[] slice(KernelContext ctx, NDArray[] in) {
    NDArray x = in[0];
    long[] starts;
    long[] ends;
    long[] axes;
    long[] steps = null;
    if (ctx.opset() >= 10) {
      starts = ctx.longs(in[1]);
      ends = ctx.longs(in[2]);
      axes = in.length > 3 && in[3] != null ? ctx.longs(in[3]) : null;
      steps = in.length > 4 && in[4] != null ? ctx.longs(in[4]) : null;
    } else {
      starts = ctx.attrLongs("starts", new long[0]);
      ends = ctx.attrLongs("ends", new long[0]);
      axes = ctx.attrLongs("axes", null);
    }
    long[] shape = x.getShape().getShape();
    int rank = shape.length;
    long[] begin = new long[rank];
    long[] end = shape.clone();
    long[] step = KernelSupport.fill(rank, 1);
    for (int i = 0; i < starts.length; i++) {
      int a = axes == null ? i : KernelSupport.axis(ctx, axes[i], rank);
      long st = steps == null ? 1 : steps[i];
      if (st == 0) {
        throw ctx.error("slice step must not be 0");
      }
      long dim = shape[a];
      long s = starts[i] < 0 ? starts[i] + dim : starts[i];
      long e = ends[i] < 0 ? ends[i] + dim : ends[i];
      if (st > 0) {
        s = Math.max(0, Math.min(s, dim));
        e = Math.max(0, Math.min(e, dim));
      } else {
        s = Math.max(-1, Math.min(s, dim - 1));
        e = Math.max(-1, Math.min(e, dim - 1));
      }
      begin[a] = s;
      end[a] = e;
      step[a] = st;
    }
    NDIndex index = new NDIndex();
    boolean positive = true;
    for (int a = 0; a < rank; a++) {
      if (step[a] > 0) {
        index.addSliceDim(begin[a], Math.max(begin[a], end[a]), step[a]);
      } else {
        index.addAllDim();
        positive = false;
      }
    }
    NDArray y = x.get(index);
    if (!positive) {
      for (int a = 0; a < rank; a++) {
        if (step[a] < 0) {
          int count = (int) Math.max(0, (begin[a] - end[a] - step[a] - 1) / -step[a]);
          long[] pos = new long[count];
          for (int k = 0; k < count; k++) {
            pos[k] = begin[a] + k * step[a];
          }
          y = KernelSupport.take(ctx, y, a, pos);
        }
      }
    }
    return one(y);
  }

  private static NDArray[] gather(KernelContext ctx, NDArray[] in) {
    NDArray x = in[0];
    int axis = KernelSupport.axis(ctx, ctx.attrLong("axis", 0), x.getShape().dimension());
    NDArray idx = in[1].getDataType() == DataType.INT64 ? in[1] : in[1].toType(DataType.INT64, false);
    if (idx.getShape().dimension() == 0) {
      long i = idx.toLongArray()[0];
      long dim = x.getShape().get(axis);
      NDIndex index = new NDIndex();
      for (int a = 0; a < axis; a++) {
        index.addAllDim();
      }
      index.addIndices(i < 0 ? i + dim : i);
      return one(x.get(index));
    }
    return one(KernelSupport.take(x, axis, idx));
  }

  private static NDArray[] expand(KernelContext ctx, NDArray[] in) {
    long[] target = KernelSupport.broadcastShape(ctx, in[0].getShape().getShape(), ctx.longs(in[1]));
    return one(in[0].broadcast(new Shape(target)));
  }

  private static NDArray[] shape(KernelContext ctx, NDArray[] in) {
    long[] shape = in[0].getShape().getShape();
    int rank = shape.length;
    long start = ctx.attrLong("start", 0);
    long end = ctx.attrLong("end", rank);
    start = Math.max(0, Math.min(rank, start < 0 ? start + rank : start));
    end = Math.max(start, Math.min(rank, end < 0 ? end + rank : end));
    return one(ctx.engineOwned(ctx.manager().create(Arrays.copyOfRange(shape, (int) start, (int) end))));
  }

  private static NDArray[] constantOfShape(KernelContext ctx, NDArray[] in) {
    long[] shape = ctx.longs(in[0]);
    Tensor value = ctx.attrTensor("value");
    if (value == null) {
      return one(ctx.manager().zeros(new Shape(shape), DataType.FLOAT32));
    }
    NDArray v = EngineArrays.toArray(ctx.manager(), value).reshape(new Shape());
    return one(v.broadcast(new Shape(shape)).duplicate());
  }

  private static NDArray[] constant(KernelContext ctx, NDArray[] in) {
    Tensor t = ctx.attrTensor("value");
    if (t != null) {
      return one(ctx.engineOwned(EngineArrays.toArray(ctx.manager(), t)));
    }
    if (ctx.has("value_float")) {
      return one(ctx.engineOwned(ctx.manager().create(ctx.attrFloat("value_float", 0))));
    }
    if (ctx.has("value_floats")) {
      return one(ctx.engineOwned(ctx.manager().create(ctx.attrFloats("value_floats", null))));
    }
    if (ctx.has("value_int")) {
      return one(ctx.engineOwned(ctx.manager().create(ctx.attrLong("value_int", 0))));
    }
    if (ctx.has("value_ints")) {
      return one(ctx.engineOwned(ctx.manager().create(ctx.attrLongs("value_ints", null))));
    }
    throw ctx.error("no supported value attribute (value, value_float(s), value_int(s))");
  }

  private static NDArray[] cast(KernelContext ctx, NDArray[] in) {
    org.sparkquant.core.graph.DataType to = org.sparkquant.core.graph.DataType.fromOnnx((int) ctx.attrLong("to", 0));
    DataType target = EngineArrays.toEngine(to);
    return one(in[0].getDataType() == target ? in[0] : in[0].toType(target, false));
  }

  private static NDArray[] range(KernelContext ctx, NDArray[] in) {
    DataType t = in[0].getDataType();
    if (t.isFloating()) {
      return one(ctx.manager().arange(ctx.scalar(in[0]), ctx.scalar(in[1]), ctx.scalar(in[2]), t));
    }
    long start = ctx.longs(in[0])[0];
    long limit = ctx.longs(in[1])[0];
    long delta = ctx.longs(in[2])[0];
    int n = (int) Math.max(0, (limit - start + delta + (delta > 0 ? -1 : 1)) / delta);
    long[] values = new long[n];
    for (int i = 0; i < n; i++) {
      values[i] = start + i * delta;
    }
    return one(ctx.engineOwned(ctx.manager().create(values)).toType(t, false));
  }

  /** Pad in constant, edge or reflect mode; pads come from an attribute before opset 11, from inputs after. */
  private static NDArray[] pad(KernelContext ctx, NDArray[] in) {
    NDArray x = in[0];
    int rank = x.getShape().dimension();
    long[] pads;
    double value;
    int[] axes;
    if (ctx.opset() >= 11) {
      pads = ctx.longs(in[1]);
      value = in.length > 2 && in[2] != null ? ctx.scalar(in[2]) : 0;
      axes =
          in.length > 3 && in[3] != null
              ? KernelSupport.axes(ctx, ctx.longs(in[3]), rank)
              : java.util.stream.IntStream.range(0, rank).toArray();
    } else {
      pads = ctx.attrLongs("pads", new long[2 * rank]);
      value = ctx.attrFloat("value", 0f);
      axes = java.util.stream.IntStream.range(0, rank).toArray();
    }
    if (pads.length != 2 * axes.length) {
      throw ctx.error("pads must have " + 2 * axes.length + " values, found " + pads.length);
    }
    long[] full = new long[2 * rank];
    for (int i = 0; i < axes.length; i++) {
      full[axes[i]] = pads[i];
      full[axes[i] + rank] = pads[i + axes.length];
    }
    String mode = ctx.attrString("mode", "constant");
    if (mode.equals("constant")) {
      // Negative pads remove elements; the engine pads only outward, so grow first and then crop.
      long[] grow = java.util.Arrays.stream(full).map(p -> Math.max(0, p)).toArray();
      NDArray y = x.pad(EngineArrays.enginePads(grow), value);
      if (java.util.Arrays.stream(full).allMatch(p -> p >= 0)) {
        return one(y);
      }
      long[] ys = y.getShape().getShape();
      NDIndex crop = new NDIndex();
      for (int a = 0; a < rank; a++) {
        crop.addSliceDim(Math.max(0, -full[a]), ys[a] - Math.max(0, -full[a + rank]));
      }
      return one(y.get(crop));
    }
    NDArray y = x;
    long[] shape = x.getShape().getShape();
    for (int a = 0; a < rank; a++) {
      long before = full[a];
      long after = full[a + rank];
      if (before == 0 && after == 0) {
        continue;
      }
      long dim = shape[a];
      long[] pos = new long[(int) (before + dim + after)];
      for (int k = 0; k < pos.length; k++) {
        long p = k - before;
        pos[k] =
            switch (mode) {
              case "edge" -> Math.max(0, Math.min(dim - 1, p));
              case "reflect" -> reflect(p, dim);
              default -> throw ctx.error("pad mode '" + mode + "' is not one of constant, edge, reflect");
            };
      }
      y = KernelSupport.take(ctx, y, a, pos);
    }
    return one(y);
  }

  private static long reflect(long p, long dim) {
    if (dim == 1) {
      return 0;
    }
    long period = 2 * (dim - 1);
    long m = Math.floorMod(p, period);
    return m < dim ? m : period - m;
  }
}
