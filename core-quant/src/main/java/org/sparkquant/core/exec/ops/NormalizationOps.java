package org.sparkquant.core.exec.ops;

import static org.sparkquant.core.exec.ops.KernelSupport.one;
import static org.sparkquant.core.graph.Attribute.Kind.FLOAT;
import static org.sparkquant.core.graph.Attribute.Kind.INT;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.stream.IntStream;
import org.sparkquant.core.exec.KernelContext;
import org.sparkquant.core.exec.OpLibrary;
import org.sparkquant.core.exec.OpRegistry;
import org.sparkquant.core.exec.Scalars;

/** BatchNormalization (inference), LayerNormalization and InstanceNormalization. */
public final class NormalizationOps implements OpLibrary {
  @Override
  public void register(OpRegistry r) {
    r.register(
        "BatchNormalization",
        NormalizationOps::batchNorm,
        "epsilon", FLOAT, "momentum", FLOAT, "spatial", INT, "training_mode", INT);
    r.register("LayerNormalization", NormalizationOps::layerNorm, "axis", INT, "epsilon", FLOAT, "stash_type", INT);
    r.register("InstanceNormalization", NormalizationOps::instanceNorm, "epsilon", FLOAT);
  }

  /** Inference form: {@code x·s + (B − mean·s)} with {@code s = scale / sqrt(var + eps)} per channel. */
  private static NDArray[] batchNorm(KernelContext ctx, NDArray[] in) {
    if (ctx.attrLong("training_mode", 0) != 0) {
      throw ctx.error("training_mode=1 is not supported; export the model in inference mode");
    }
    NDArray x = in[0];
    float eps = ctx.attrFloat("epsilon", 1e-5f);
    NDArray s = in[1].div(Scalars.add(in[4], eps).sqrt());
    NDArray shift = in[2].sub(in[3].mul(s));
    Shape perChannel = channelShape(x);
    return one(x.mul(s.reshape(perChannel)).add(shift.reshape(perChannel)));
  }

  private static Shape channelShape(NDArray x) {
    long[] shape = new long[x.getShape().dimension()];
    java.util.Arrays.fill(shape, 1);
    shape[1] = x.getShape().get(1);
    return new Shape(shape);
  }

  private static NDArray[] layerNorm(KernelContext ctx, NDArray[] in) {
    NDArray x = in[0];
    int rank = x.getShape().dimension();
    int axis = KernelSupport.axis(ctx, ctx.attrLong("axis", -1), rank);
    float eps = ctx.attrFloat("epsilon", 1e-5f);
    Shape normalized = x.getShape().slice(axis);
    NDArray scale = in[1];
    NDArray bias = in.length > 2 ? in[2] : null;
    if (scale.getShape().equals(normalized) && (bias == null || bias.getShape().equals(normalized))) {
      NDArray beta = bias == null ? ctx.manager().zeros(normalized, x.getDataType()) : bias;
      return one(x.getNDArrayInternal().layerNorm(x, normalized, scale, beta, eps).singletonOrThrow());
    }
    int[] axes = IntStream.range(axis, rank).toArray();
    NDArray centered = x.sub(KernelSupport.meanKeep(x, axes));
    NDArray var = KernelSupport.meanKeep(centered.square(), axes);
    NDArray y = centered.div(Scalars.add(var, eps).sqrt()).mul(scale);
    return one(bias == null ? y : y.add(bias));
  }

  private static NDArray[] instanceNorm(KernelContext ctx, NDArray[] in) {
    NDArray x = in[0];
    int[] axes = IntStream.range(2, x.getShape().dimension()).toArray();
    float eps = ctx.attrFloat("epsilon", 1e-5f);
    NDArray centered = x.sub(KernelSupport.meanKeep(x, axes));
    NDArray var = KernelSupport.meanKeep(centered.square(), axes);
    Shape perChannel = channelShape(x);
    NDArray normalized = centered.div(Scalars.add(var, eps).sqrt());
    return one(normalized.mul(in[1].reshape(perChannel)).add(in[2].reshape(perChannel)));
  }
}
