package org.sparkquant.core.exec.ops;

import static org.sparkquant.core.exec.ops.KernelSupport.one;
import static org.sparkquant.core.graph.Attribute.Kind.INT;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import org.sparkquant.core.exec.KernelContext;
import org.sparkquant.core.exec.OpLibrary;
import org.sparkquant.core.exec.OpRegistry;

/** ONNX Runtime contrib operators that SparkQuant exports ({@code com.microsoft} domain). */
public final class ContribOps implements OpLibrary {
  @Override
  public void register(OpRegistry r) {
    r.register("com.microsoft:MatMulNBits", ContribOps::matMulNBits,
        "K", INT, "N", INT, "bits", INT, "block_size", INT, "accuracy_level", INT);
  }

  /**
   * {@code A @ dequantize(B)ᵀ} with B {@code uint8 [N, blocks, block/2]} holding 4-bit codes (low nibble first),
   * scales {@code [N, blocks]} and the default zero point 8.
   */
  private static NDArray[] matMulNBits(KernelContext ctx, NDArray[] in) {
    long k = ctx.attrLong("K", 0);
    long n = ctx.attrLong("N", 0);
    long block = ctx.attrLong("block_size", 0);
    if (ctx.attrLong("bits", 4) != 4) {
      throw ctx.error("only bits=4 is supported");
    }
    if (in.length > 3 && in[3] != null) {
      throw ctx.error("explicit zero_points are not supported");
    }
    NDArray bytes = in[1].toType(DataType.FLOAT32, false);
    NDArray high = bytes.div(16f).floor();
    NDArray low = bytes.sub(high.mul(16f));
    long blocks = bytes.getShape().get(1);
    NDArray codes = NDArrays.stack(new NDList(low, high), 3).reshape(n, blocks * block);
    NDArray scales = in[2].reshape(n, blocks).repeat(1, block);
    NDArray w = codes.sub(8f).mul(scales);
    if (blocks * block != k) {
      w = w.get(new NDIndex(":, 0:" + k));
    }
    return one(in[0].matMul(w.transpose()));
  }
}
