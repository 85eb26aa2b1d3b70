package org.sparkquant.core.exec.ops;

import static org.sparkquant.core.exec.ops.KernelSupport.one;
import static org.sparkquant.core.graph.Attribute.Kind.INT;
import static org.sparkquant.core.graph.Attribute.Kind.INTS;
import static org.sparkquant.core.graph.Attribute.Kind.STRING;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.sparkquant.core.exec.EngineArrays;
import org.sparkquant.core.exec.KernelContext;
import org.sparkquant.core.exec.OpLibrary;
import org.sparkquant.core.exec.OpRegistry;

/**
 * Conv and ConvTranspose over 1, 2 or 3 spatial dimensions.
 *
 * <p>Every convolution goes through {@link #convolve}, which keeps the engine's vectorized kernels on channel counts
 * they compute right on every CPU class: libtorch 2.7's oneDNN convolutions on AVX-512 CPUs give wrong values (or
 * NaN) when the input channels per group exceed one 16-wide channel block without filling the last one (24, 40,
 * 72, ...), so such inputs and weights get zero channels up to the next multiple of 16 — the same sums, on the
 * configurations (32, 48, 96, ...) those kernels compute right. A transposed convolution whose kernel equals its
 * stride (upsampling heads) is one matrix product per input pixel followed by depth-to-space: a k×k kernel costs k²
 * times less than the zero-stuffed convolution that computes the general case.
 */
public final class ConvOps implements OpLibrary {
  /** Input channels per group that the engine's blocked convolution kernels process together. */
  public static final int CHANNEL_BLOCK = 16;

  private static final Object[] ATTRS = {
    "auto_pad", STRING, "dilations", INTS, "group", INT, "kernel_shape", INTS, "pads", INTS, "strides", INTS
  };

  @Override
  public void register(OpRegistry r) {
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
          ctx.attrLongs("kernel_shape", KernelSupport.tail(in[1].getShape().getShape(), 2)),
          ctx.attrLongs("strides", KernelSupport.fill(spatial, 1)),
          ctx.attrLongs("dilations", KernelSupport.fill(spatial, 1)),
          (int) ctx.attrLong("group", 1));
    }
  }

  private static NDArray[] conv(KernelContext ctx, NDArray[] in) {
    ConvArgs a = ConvArgs.of(ctx, in);
    int n = a.kernel().length;
    long[] pads = KernelSupport.convPads(ctx, KernelSupport.tail(a.xs(), 2), a.kernel(), a.strides(), a.dilations());
    long[] padding = new long[n];
    NDArray x = a.x();
    if (KernelSupport.symmetric(pads)) {
      System.arraycopy(pads, 0, padding, 0, n);
    } else {
      x = x.pad(EngineArrays.enginePads(pads), 0);
    }
    return one(convolve(x, a.w(), a.b(), a.strides(), padding, a.dilations(), a.group()));
  }

  /**
   * The engine's convolution, with the input channels of each group padded by zeros to a multiple of
   * {@link #CHANNEL_BLOCK} when there are more than one block's worth and the last block would be partial.
   */
  static NDArray convolve(
      NDArray x, NDArray w, NDArray b, long[] strides, long[] padding, long[] dilations, int group) {
    long perGroup = w.getShape().get(1);
    if (perGroup > CHANNEL_BLOCK && perGroup % CHANNEL_BLOCK != 0) {
      long padded = (perGroup + CHANNEL_BLOCK - 1) / CHANNEL_BLOCK * CHANNEL_BLOCK;
      x = padChannels(x, group, perGroup, padded);
      w = padChannels(w, 1, perGroup, padded);
    }
    return x.getNDArrayInternal()
        .convolution(x, w, b, new Shape(strides), new Shape(padding), new Shape(dilations), group)
        .singletonOrThrow();
  }

  /** {@code a} ({@code [n, groups·from, ...]}) with zero channels appended to each group, to {@code to} per group. */
  private static NDArray padChannels(NDArray a, int groups, long from, long to) {
    long[] s = a.getShape().getShape();
    long[] grouped = new long[s.length + 1];
    grouped[0] = s[0];
    grouped[1] = groups;
    grouped[2] = from;
    System.arraycopy(s, 2, grouped, 3, s.length - 2);
    long[] zeros = grouped.clone();
    zeros[2] = to - from;
    NDArray g = a.reshape(new Shape(grouped));
    NDArray padded = g.concat(a.getManager().zeros(new Shape(zeros), a.getDataType()), 2);
    long[] merged = s.clone();
    merged[1] = groups * to;
    return padded.reshape(new Shape(merged));
  }

  /**
   * Transposed convolution whose kernel equals its stride, without dilation, output padding or groups: every input
   * pixel spreads to its own output block, so it is {@code x[pixel] · W} reshaped depth-to-space.
   */
  private static NDArray pixelShuffleTransposedConv(NDArray x, NDArray w, NDArray b) {
    long[] xs = x.getShape().getShape();
    long[] ws = w.getShape().getShape();
    int n = xs.length - 2;
    long pixels = 1;
    long blockSize = 1;
    for (int i = 0; i < n; i++) {
      pixels *= xs[i + 2];
      blockSize *= ws[i + 2];
    }
    // [N, Cin, P] -> [N, P, Cin] @ [Cin, Cout·block] -> [N, P, Cout·block]
    NDArray cols = x.reshape(xs[0], xs[1], pixels).transpose(0, 2, 1).matMul(w.reshape(ws[0], ws[1] * blockSize));
    // [N, s1..sn, Cout, k1..kn] -> [N, Cout, s1, k1, ..., sn, kn]
    long[] split = new long[2 + 2 * n];
    split[0] = xs[0];
    System.arraycopy(xs, 2, split, 1, n);
    split[1 + n] = ws[1];
    System.arraycopy(ws, 2, split, 2 + n, n);
    int[] order = new int[2 + 2 * n];
    order[0] = 0;
    order[1] = 1 + n;
    for (int i = 0; i < n; i++) {
      order[2 + 2 * i] = 1 + i;
      order[3 + 2 * i] = 2 + n + i;
    }
    long[] out = new long[2 + n];
    out[0] = xs[0];
    out[1] = ws[1];
    for (int i = 0; i < n; i++) {
      out[2 + i] = xs[i + 2] * ws[i + 2];
    }
    NDArray y = cols.reshape(new Shape(split)).transpose(order).reshape(new Shape(out));
    if (b != null) {
      long[] bs = new long[2 + n];
      java.util.Arrays.fill(bs, 1);
      bs[1] = ws[1];
      y = y.add(b.reshape(new Shape(bs)));
    }
    return y;
  }

  /**
   * Transposed convolution as a stride-1 convolution of the zero-stuffed input with the flipped, transposed kernel,
   * padded by {@code (k-1)·d} on each side (plus {@code output_padding} at the end).
   */
  private static NDArray transposedConv(
      NDArray x, NDArray w, NDArray b, long[] strides, long[] dilations, long[] outPadding, int group) {
    int n = strides.length;
    long[] ws = w.getShape().getShape();
    if (group == 1
        && java.util.Arrays.equals(strides, KernelSupport.tail(ws, 2))
        && java.util.Arrays.stream(dilations).allMatch(d -> d == 1)
        && java.util.Arrays.stream(outPadding).allMatch(p -> p == 0)) {
      return pixelShuffleTransposedConv(x, w, b);
    }
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
    boolean asymmetric = !KernelSupport.symmetric(pads);
    if (asymmetric) {
      up = up.pad(EngineArrays.enginePads(pads), 0);
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
    return convolve(up, kernel, b, KernelSupport.fill(n, 1), asymmetric ? new long[n] : padding, dilations, group);
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
