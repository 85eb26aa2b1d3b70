package org.sparkquant.core.exec.check;

import org.sparkquant.core.exec.KernelContext;

/**
 * ONNX {@code Conv} and {@code ConvTranspose} by their definitions, over any number of spatial axes: a convolution
 * output gathers {@code x[n, c, o·s − pad + k·d]·w[m, c, k]} over its group's channels and the kernel; a transposed
 * convolution output gathers every input pixel {@code i} and kernel offset {@code k} with {@code i·s − pad + k·d = o}.
 */
public final class ConvReference implements ReferenceKernel {
  private final boolean transposed;

  private ConvReference(boolean transposed) {
    this.transposed = transposed;
  }

  public static ConvReference conv() {
    return new ConvReference(false);
  }

  public static ConvReference convTranspose() {
    return new ConvReference(true);
  }

  @Override
  public int channelAxis(int outputRank) {
    return 1;
  }

  @Override
  public Sampled compute(KernelContext ctx, Operand[] in, long[] outputShape, long[] positions) {
    Operand x = in[0];
    Operand w = in[1];
    Operand b = in.length > 2 ? in[2] : null;
    int n = x.rank() - 2;
    long[] kernel = new long[n];
    for (int i = 0; i < n; i++) {
      kernel[i] = w.dim(i + 2);
    }
    long[] strides = ctx.attrLongs("strides", ones(n));
    long[] dilations = ctx.attrLongs("dilations", ones(n));
    int group = (int) ctx.attrLong("group", 1);
    long[] padBegin = transposed ? transposedPadBegin(ctx, x, kernel, strides, dilations, outputShape)
        : padBegin(ctx, x, kernel, strides, dilations);
    long inPerGroup = x.dim(1) / group;
    long outPerGroup = outputShape[1] / group;
    long[] xStrides = x.strides();
    long[] wStrides = w.strides();
    long[] yStrides = Operand.strides(outputShape);
    long kernelSize = 1;
    for (long k : kernel) {
      kernelSize *= k;
    }
    // kernel offsets, decomposed once: offsets[kk][i] is the kernel index along spatial axis i
    long[][] offsets = new long[(int) kernelSize][n];
    for (int kk = 0; kk < kernelSize; kk++) {
      long r = kk;
      for (int i = n - 1; i >= 0; i--) {
        offsets[kk][i] = r % kernel[i];
        r /= kernel[i];
      }
    }
    float[] xd = x.data();
    float[] wd = w.data();
    double[] values = new double[positions.length];
    double[] magnitudes = new double[positions.length];
    long[] o = new long[n];
    for (int p = 0; p < positions.length; p++) {
      long rest = positions[p];
      long batch = rest / yStrides[0];
      rest %= yStrides[0];
      long m = rest / yStrides[1];
      rest %= yStrides[1];
      for (int i = 0; i < n; i++) {
        o[i] = rest / yStrides[i + 2];
        rest %= yStrides[i + 2];
      }
      long g = m / outPerGroup;
      double sum = b == null ? 0 : b.data()[(int) m];
      double mag = Math.abs(sum);
      for (int kk = 0; kk < kernelSize; kk++) {
        long[] k = offsets[kk];
        long xSpatial = 0;
        long wSpatial = 0;
        boolean inside = true;
        for (int i = 0; i < n && inside; i++) {
          long at;
          if (transposed) {
            long t = o[i] + padBegin[i] - k[i] * dilations[i];
            inside = t >= 0 && t % strides[i] == 0;
            at = t / strides[i];
          } else {
            at = o[i] * strides[i] - padBegin[i] + k[i] * dilations[i];
          }
          inside &= at >= 0 && at < x.dim(i + 2);
          xSpatial += at * xStrides[i + 2];
          wSpatial += k[i] * wStrides[i + 2];
        }
        if (!inside) {
          continue;
        }
        int xi = (int) (batch * xStrides[0] + g * inPerGroup * xStrides[1] + xSpatial);
        int wi = (int) ((transposed ? g * inPerGroup * wStrides[0] + (m - g * outPerGroup) * wStrides[1]
            : m * wStrides[0]) + wSpatial);
        int xStep = (int) xStrides[1];
        int wStep = (int) (transposed ? wStrides[0] : wStrides[1]);
        for (long cl = 0; cl < inPerGroup; cl++, xi += xStep, wi += wStep) {
          double term = (double) xd[xi] * wd[wi];
          sum += term;
          mag += Math.abs(term);
        }
      }
      values[p] = sum;
      magnitudes[p] = mag;
    }
    return new Sampled(values, magnitudes);
  }

  /** Leading padding of a convolution: explicit {@code pads}, or what {@code auto_pad} implies. */
  private static long[] padBegin(KernelContext ctx, Operand x, long[] kernel, long[] strides, long[] dilations) {
    int n = kernel.length;
    String autoPad = ctx.attrString("auto_pad", "NOTSET");
    long[] begin = new long[n];
    if (autoPad.equals("NOTSET")) {
      System.arraycopy(ctx.attrLongs("pads", new long[2 * n]), 0, begin, 0, n);
    } else if (autoPad.startsWith("SAME")) {
      for (int i = 0; i < n; i++) {
        long in = x.dim(i + 2);
        long out = (in + strides[i] - 1) / strides[i];
        long total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - in);
        begin[i] = autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2;
      }
    }
    return begin;
  }

  /**
   * Leading padding of a transposed convolution: explicit {@code pads}, or, with {@code output_shape} or a SAME
   * {@code auto_pad}, the total padding {@code s·(in−1) + output_padding + (k−1)·d + 1 − out}, split as ONNX Runtime
   * does (SAME_UPPER puts the extra one at the end).
   */
  private static long[] transposedPadBegin(
      KernelContext ctx, Operand x, long[] kernel, long[] strides, long[] dilations, long[] outputShape) {
    int n = kernel.length;
    String autoPad = ctx.attrString("auto_pad", "NOTSET");
    boolean derived = ctx.has("output_shape") || autoPad.startsWith("SAME");
    if (!derived) {
      return java.util.Arrays.copyOf(ctx.attrLongs("pads", new long[2 * n]), n);
    }
    long[] outPadding = ctx.attrLongs("output_padding", new long[n]);
    long[] begin = new long[n];
    for (int i = 0; i < n; i++) {
      long full = strides[i] * (x.dim(i + 2) - 1) + outPadding[i] + (kernel[i] - 1) * dilations[i] + 1;
      long total = full - outputShape[i + 2];
      begin[i] = autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2;
    }
    return begin;
  }

  private static long[] ones(int n) {
    long[] v = new long[n];
    java.util.Arrays.fill(v, 1);
    return v;
  }
}
