package org.sparkquant.core.exec.ops;

import static org.sparkquant.core.exec.ops.KernelSupport.one;
import static org.sparkquant.core.graph.Attribute.Kind.FLOAT;
import static org.sparkquant.core.graph.Attribute.Kind.INT;
import static org.sparkquant.core.graph.Attribute.Kind.STRING;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.sparkquant.core.exec.KernelContext;
import org.sparkquant.core.exec.OpLibrary;
import org.sparkquant.core.exec.OpRegistry;
import org.sparkquant.core.exec.Scalars;

/** Activations and (log-)softmax. */
public final class ActivationOps implements OpLibrary {
  @Override
  public void register(OpRegistry r) {
    r.register("Relu", (ctx, in) -> one(in[0].getNDArrayInternal().relu()));
    r.register("Sigmoid", (ctx, in) -> one(in[0].getNDArrayInternal().sigmoid()));
    r.register("Tanh", (ctx, in) -> one(in[0].tanh()));
    r.register("Erf", (ctx, in) -> one(in[0].erf()));
    r.register(
        "LeakyRelu",
        (ctx, in) -> {
          float alpha = ctx.attrFloat("alpha", 0.01f);
          return one(Scalars.maximum(in[0], 0f).add(Scalars.mul(Scalars.minimum(in[0], 0f), alpha)));
        },
        "alpha", FLOAT);
    r.register("PRelu", (ctx, in) -> one(Scalars.maximum(in[0], 0f).add(Scalars.minimum(in[0], 0f).mul(in[1]))));
    r.register(
        "Elu",
        (ctx, in) -> {
          float alpha = ctx.attrFloat("alpha", 1f);
          NDArray negative = Scalars.sub(Scalars.minimum(in[0], 0f).exp(), 1f);
          return one(Scalars.maximum(in[0], 0f).add(Scalars.mul(negative, alpha)));
        },
        "alpha", FLOAT);
    r.register("Softplus", (ctx, in) -> one(Scalars.add(in[0].exp(), 1f).log()));
    r.register(
        "HardSigmoid",
        (ctx, in) -> one(hardSigmoid(in[0], ctx.attrFloat("alpha", 0.2f), ctx.attrFloat("beta", 0.5f))),
        "alpha", FLOAT, "beta", FLOAT);
    r.register("HardSwish", (ctx, in) -> one(in[0].mul(hardSigmoid(in[0], 1f / 6f, 0.5f))));
    r.register(
        "Gelu",
        (ctx, in) -> {
          String approximate = ctx.attrString("approximate", "none");
          NDArray x = in[0];
          if (approximate.equals("tanh")) {
            NDArray cubic = x.add(Scalars.mul(Scalars.pow(x, 3), 0.044715f));
            NDArray inner = Scalars.mul(cubic, (float) Math.sqrt(2 / Math.PI));
            return one(Scalars.mul(x, 0.5f).mul(Scalars.add(inner.tanh(), 1f)));
          }
          return one(x.getNDArrayInternal().gelu());
        },
        "approximate", STRING);
    r.register("Clip", ActivationOps::clip, "min", FLOAT, "max", FLOAT);
    r.register("Softmax", (ctx, in) -> one(softmax(ctx, in[0], false)), "axis", INT);
    r.register("LogSoftmax", (ctx, in) -> one(softmax(ctx, in[0], true)), "axis", INT);
  }

  private static NDArray hardSigmoid(NDArray x, float alpha, float beta) {
    return Scalars.add(Scalars.mul(x, alpha), beta).clip(0f, 1f);
  }

  /** Bounds come from attributes before opset 11 and from optional inputs after. */
  private static NDArray[] clip(KernelContext ctx, NDArray[] in) {
    NDArray x = in[0];
    if (!x.getDataType().isFloating()) {
      // Integer inputs (opset 12 and later) are bounded by tensors of their own type; a Number bound would promote
      // the result to a floating type.
      NDArray y = x;
      if (in.length > 1 && in[1] != null) {
        y = y.maximum(in[1]);
      }
      if (in.length > 2 && in[2] != null) {
        y = y.minimum(in[2]);
      }
      return one(y);
    }
    Number lo;
    Number hi;
    if (ctx.opset() < 11) {
      lo = ctx.attrFloat("min", Float.NEGATIVE_INFINITY);
      hi = ctx.attrFloat("max", Float.POSITIVE_INFINITY);
    } else {
      lo = in.length > 1 && in[1] != null ? (Number) ctx.scalar(in[1]) : Float.NEGATIVE_INFINITY;
      hi = in.length > 2 && in[2] != null ? (Number) ctx.scalar(in[2]) : Float.POSITIVE_INFINITY;
    }
    return one(x.clip(lo, hi));
  }

  /**
   * Opset 13 and later normalise along one axis (default -1); earlier versions flatten to 2-D at {@code axis}
   * (default 1) and normalise each row.
   */
  private static NDArray softmax(KernelContext ctx, NDArray x, boolean log) {
    int rank = x.getShape().dimension();
    if (ctx.opset() >= 13) {
      int axis = KernelSupport.axis(ctx, ctx.attrLong("axis", -1), rank);
      return log ? x.logSoftmax(axis) : x.softmax(axis);
    }
    int axis = KernelSupport.axis(ctx, ctx.attrLong("axis", 1), Math.max(rank, 1));
    if (axis == rank - 1) {
      return log ? x.logSoftmax(axis) : x.softmax(axis);
    }
    Shape shape = x.getShape();
    NDArray flat = x.reshape(shape.slice(0, axis).size(), shape.slice(axis).size());
    return (log ? flat.logSoftmax(1) : flat.softmax(1)).reshape(shape);
  }
}
