package org.sparkquant.core.exec.ops;

import static org.sparkquant.core.exec.ops.Arrays2.one;
import static org.sparkquant.core.graph.Attribute.Kind.INT;
import static org.sparkquant.core.graph.Attribute.Kind.INTS;
import static org.sparkquant.core.graph.Attribute.Kind.STRING;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.sparkquant.core.exec.KernelContext;
import org.sparkquant.core.exec.OpRegistry;

/** Conv and ConvTranspose over 1, 2 or 3 spatial dimensions. */
public final class ConvOps {
  private ConvOps() {}

  private static final Object[] ATTRS = {
    "auto_pad", STRING, "dilations", INTS, "group", INT, "kernel_shape", INTS, "pads", INTS, "strides", INTS
  };

  public static void register(OpRegistry r) {
    r.register("Conv", ConvOps::conv, ATTRS);
    Object[] transposed = java.util.Arrays.copyOf(ATTRS, ATTRS.length + 4);
    transposed[ATTRS.length] = "output_padding";
    transposed[ATTRS.length + 1] = INTS;
    transposed[ATTRS.length + 2] = "output_shape";
    transposed[ATTRS.length + 3] = INTS;
    r.register("ConvTranspose", ConvOps::convTranspose, transposed);
  }

  private static NDArray[] conv(KernelContext ctx, NDArray[] in) {
    NDArray x = in[0];
    NDArray w = in[1];
    NDArray b = in.length > 2 ? in[2] : null;
    long[] xs = x.getShape().getShape();
    int n = xs.length - 2;
    long[] kernel = ctx.attrLongs("kernel_shape", Arrays2.tail(w.getShape().getShape(), 2));
    long[] strides = ctx.attrLongs("strides", Arrays2.fill(n, 1));
    long[] dilations = ctx.attrLongs("dilations", Arrays2.fill(n, 1));
    long[] pads = Arrays2.convPads(ctx, Arrays2.tail(xs, 2), kernel, strides, dilations);
    long[] padding = new long[n];
    if (Arrays2.symmetric(pads)) {
      System.arraycopy(pads, 0, padding, 0, n);
    } else {
      x = x.pad(Arrays2.enginePads(pads), 0);
    }
    int group = (int) ctx.attrLong("group", 1);
    return one(
        x.getNDArrayInternal()
            .convolution(x, w, b, new Shape(strides), new Shape(padding), new Shape(dilations), group)
            .singletonOrThrow());
  }

  /**
   * Computes the full transposed convolution, then crops {@code pads} (explicit, or derived from {@code output_shape}
   * as the ONNX specification describes), so asymmetric padding needs no special case.
   */
  private static NDArray[] convTranspose(KernelContext ctx, NDArray[] in) {
    NDArray x = in[0];
    NDArray w = in[1];
    NDArray b = in.length > 2 ? in[2] : null;
    long[] xs = x.getShape().getShape();
    int n = xs.length - 2;
    long[] kernel = ctx.attrLongs("kernel_shape", Arrays2.tail(w.getShape().getShape(), 2));
    long[] strides = ctx.attrLongs("strides", Arrays2.fill(n, 1));
    long[] dilations = ctx.attrLongs("dilations", Arrays2.fill(n, 1));
    long[] outPadding = ctx.attrLongs("output_padding", new long[n]);
    long[] pads = ctx.attrLongs("pads", new long[2 * n]);
    String autoPad = ctx.attrString("auto_pad", "NOTSET");
    long[] outputShape = ctx.attrLongs("output_shape", null);
    if (outputShape != null || autoPad.startsWith("SAME")) {
      pads = new long[2 * n];
      for (int i = 0; i < n; i++) {
        long full = strides[i] * (xs[i + 2] - 1) + outPadding[i] + (kernel[i] - 1) * dilations[i] + 1;
        long target =
            outputShape != null ? outputShape[outputShape.length - n + i] : xs[i + 2] * strides[i];
        long total = full - target;
        if (total < 0) {
          throw ctx.error("output_shape " + java.util.Arrays.toString(outputShape) + " is larger than possible");
        }
        boolean upper = autoPad.equals("SAME_UPPER");
        pads[i] = upper ? total / 2 : total - total / 2;
        pads[i + n] = total - pads[i];
      }
    }
    int group = (int) ctx.attrLong("group", 1);
    NDArray y =
        x.getNDArrayInternal()
            .deconvolution(
                x, w, b, new Shape(strides), new Shape(new long[n]), new Shape(outPadding), new Shape(dilations), group)
            .singletonOrThrow();
    boolean cropped = false;
    NDIndex crop = new NDIndex().addAllDim().addAllDim();
    long[] ys = y.getShape().getShape();
    for (int i = 0; i < n; i++) {
      crop.addSliceDim(pads[i], ys[i + 2] - pads[i + n]);
      cropped |= pads[i] != 0 || pads[i + n] != 0;
    }
    return one(cropped ? y.get(crop) : y);
  }
}
