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

  /**
   * Operands and geometry shared by both convolutions: input, weight, optional bias, input shape, and kernel size,
   * strides, dilations and group with the ONNX defaults.
   */
  private record ConvArgs(
      NDArray x, NDArray w, NDArray b, long[] xs, long[] kernel, long[] strides, long[] dilations, int group) {
    static ConvArgs of(KernelContext ctx, NDArray[] in) {
      long[] xs = in[0].getShape().getShape();
      int spatial = xs.length - 2;
      return new ConvArgs(
          in[0], in[1], in.length > 2 ? in[2] : null, xs,
          ctx.attrLongs("kernel_shape", Arrays2.tail(in[1].getShape().getShape(), 2)),
          ctx.attrLongs("strides", Arrays2.fill(spatial, 1)),
          ctx.attrLongs("dilations", Arrays2.fill(spatial, 1)),
          (int) ctx.attrLong("group", 1));
    }
  }

  private static NDArray[] conv(KernelContext ctx, NDArray[] in) {
    ConvArgs a = ConvArgs.of(ctx, in);
    int n = a.kernel().length;
    long[] pads = Arrays2.convPads(ctx, Arrays2.tail(a.xs(), 2), a.kernel(), a.strides(), a.dilations());
    long[] padding = new long[n];
    NDArray x = a.x();
    if (Arrays2.symmetric(pads)) {
      System.arraycopy(pads, 0, padding, 0, n);
    } else {
      x = x.pad(Arrays2.enginePads(pads), 0);
    }
    return one(
        x.getNDArrayInternal()
            .convolution(
                x, a.w(), a.b(), new Shape(a.strides()), new Shape(padding), new Shape(a.dilations()), a.group())
            .singletonOrThrow());
  }

  /**
   * Transposed convolution as a stride-1 convolution of the zero-stuffed input with the flipped, transposed kernel,
   * padded by {@code (k-1)·d} on each side (plus {@code output_padding} at the end).
   */
  private static NDArray transposedConv(
      NDArray x, NDArray w, NDArray b, long[] strides, long[] dilations, long[] outPadding, int group) {
    int n = strides.length;
    long[] ws = w.getShape().getShape();
    NDArray up = x;
    for (int i = 0; i < n; i++) {
      int axis = i + 2;
      if (strides[i] > 1) {
        long[] s = up.getShape().getShape();
        long len = s[axis];
        NDArray col = up.expandDims(axis + 1);
        long[] zs = col.getShape().getShape();
        zs[axis + 1] = strides[i] - 1;
        NDArray stuffed = col.concat(up.getManager().zeros(new Shape(zs), up.getDataType()), axis + 1);
        long[] merged = s.clone();
        merged[axis] = len * strides[i];
        up = stuffed.reshape(new Shape(merged)).get(NDIndex.sliceAxis(axis, 0, (len - 1) * strides[i] + 1));
      }
    }
    long[] pads = new long[2 * n];
    long[] padding = new long[n];
    for (int i = 0; i < n; i++) {
      pads[i] = (ws[i + 2] - 1) * dilations[i];
      pads[i + n] = pads[i] + outPadding[i];
      padding[i] = pads[i];
    }
    boolean asymmetric = !Arrays2.symmetric(pads);
    if (asymmetric) {
      up = up.pad(Arrays2.enginePads(pads), 0);
    }
    long[] grouped = new long[ws.length + 1];
    grouped[0] = group;
    grouped[1] = ws[0] / group;
    System.arraycopy(ws, 1, grouped, 2, ws.length - 1);
    long[] kernelShape = new long[ws.length];
    kernelShape[0] = ws[1] * group;
    kernelShape[1] = ws[0] / group;
    System.arraycopy(ws, 2, kernelShape, 2, n);
    int[] spatial = java.util.stream.IntStream.range(2, 2 + n).toArray();
    NDArray kernel = w.reshape(new Shape(grouped)).swapAxes(1, 2).reshape(new Shape(kernelShape)).flip(spatial);
    return up.getNDArrayInternal()
        .convolution(
            up, kernel, b, new Shape(Arrays2.fill(n, 1)), new Shape(asymmetric ? new long[n] : padding),
            new Shape(dilations), group)
        .singletonOrThrow();
  }

  /**
   * Computes the full transposed convolution, then crops {@code pads} (explicit, or derived from {@code output_shape}
   * as the ONNX specification describes), so asymmetric padding needs no special case.
   */
  private static NDArray[] convTranspose(KernelContext ctx, NDArray[] in) {
    ConvArgs a = ConvArgs.of(ctx, in);
    long[] xs = a.xs();
    long[] kernel = a.kernel();
    long[] strides = a.strides();
    long[] dilations = a.dilations();
    int n = kernel.length;
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
    NDArray y = transposedConv(a.x(), a.w(), a.b(), strides, dilations, outPadding, a.group());
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
