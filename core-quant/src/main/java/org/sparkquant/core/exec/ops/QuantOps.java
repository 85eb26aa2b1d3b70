package org.sparkquant.core.exec.ops;

import static org.sparkquant.core.exec.ops.KernelSupport.one;
import static org.sparkquant.core.graph.Attribute.Kind.INT;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import org.sparkquant.core.exec.EngineArrays;
import org.sparkquant.core.exec.KernelContext;
import org.sparkquant.core.exec.OpLibrary;
import org.sparkquant.core.exec.OpRegistry;
import org.sparkquant.core.exec.quant.EngineQuantizer;
import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;

/**
 * QuantizeLinear and DequantizeLinear, per tensor, per axis and blocked. Types without engine arrays (4- and 2-bit,
 * FP8, FP4) travel as float32 arrays of their values; the declared type of a constant zero point tells which.
 */
public final class QuantOps implements OpLibrary {
  @Override
  public void register(OpRegistry r) {
    Object[] attrs = {"axis", INT, "block_size", INT, "saturate", INT, "output_dtype", INT};
    r.register("DequantizeLinear", QuantOps::dequantize, attrs);
    r.register("QuantizeLinear", QuantOps::quantize, attrs);
  }

  private static Granularity granularity(KernelContext ctx, NDArray scale) {
    long block = ctx.attrLong("block_size", 0);
    int axis = (int) ctx.attrLong("axis", 1);
    if (scale.getShape().dimension() == 0 || block == 0 && scale.getShape().size() == 1) {
      return Granularity.perTensor();
    }
    return block > 0 ? Granularity.perBlock(axis, (int) block) : Granularity.perChannel(axis);
  }

  private static NDArray[] dequantize(KernelContext ctx, NDArray[] in) {
    NDArray x = in[0].getDataType() == DataType.FLOAT32 ? in[0] : in[0].toType(DataType.FLOAT32, false);
    long[] shape = x.getShape().getShape();
    Granularity g = granularity(ctx, in[1]);
    NDArray scale = EngineQuantizer.expand(in[1], g, shape);
    if (in.length > 2 && in[2] != null) {
      NDArray zp = EngineQuantizer.expand(in[2].toType(DataType.FLOAT32, false), g, shape);
      return one(x.sub(zp).mul(scale));
    }
    return one(x.mul(scale));
  }

  private static NDArray[] quantize(KernelContext ctx, NDArray[] in) {
    QuantType type = outputType(ctx, in);
    if (type.isFloat() && ctx.attrLong("saturate", 1) == 0) {
      throw ctx.error("saturate=0 is not supported");
    }
    Granularity g = granularity(ctx, in[1]);
    float[] scale = in[1].toType(DataType.FLOAT32, false).toFloatArray();
    int[] zp = new int[scale.length];
    if (in.length > 2 && in[2] != null) {
      float[] z = in[2].toType(DataType.FLOAT32, false).toFloatArray();
      for (int i = 0; i < zp.length; i++) {
        zp[i] = (int) z[i];
      }
    }
    QuantParams p = new QuantParams(type, g, in[1].getShape().getShape(), scale, zp);
    NDArray q = EngineQuantizer.quantize(in[0], p);
    org.sparkquant.core.graph.DataType stored = type.onnxType();
    return one(EngineArrays.hasEngineType(stored) ? q.toType(EngineArrays.toEngine(stored), false) : q);
  }

  /** The zero point's declared type, else its engine type, else {@code output_dtype}, else UINT8. */
  private static QuantType outputType(KernelContext ctx, NDArray[] in) {
    org.sparkquant.core.graph.DataType declared = ctx.inputType(2);
    if (declared == null && in.length > 2 && in[2] != null && in[2].getDataType() != DataType.FLOAT32) {
      declared = EngineArrays.fromEngine(in[2].getDataType());
    }
    if (declared == null && ctx.has("output_dtype")) {
      declared = org.sparkquant.core.graph.DataType.fromOnnx((int) ctx.attrLong("output_dtype", 2));
    }
    QuantType t = declared == null ? QuantType.UINT8 : QuantType.of(declared);
    if (t == null) {
      throw ctx.error("cannot quantize to " + declared);
    }
    return t;
  }
}
