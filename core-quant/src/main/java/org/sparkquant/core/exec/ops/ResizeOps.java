package org.sparkquant.core.exec.ops;

import static org.sparkquant.core.exec.ops.KernelSupport.one;
import static org.sparkquant.core.graph.Attribute.Kind.FLOAT;
import static org.sparkquant.core.graph.Attribute.Kind.FLOATS;
import static org.sparkquant.core.graph.Attribute.Kind.INT;
import static org.sparkquant.core.graph.Attribute.Kind.INTS;
import static org.sparkquant.core.graph.Attribute.Kind.STRING;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.sparkquant.core.exec.KernelContext;
import org.sparkquant.core.exec.OpLibrary;
import org.sparkquant.core.exec.OpRegistry;

/**
 * Resize (and the older Upsample) in nearest and linear modes, computed axis by axis: each output coordinate is
 * mapped back to the input with the ONNX coordinate transformation, then nearest positions are gathered, or the two
 * neighbours are gathered and blended. Coordinates are computed in float, as ONNX Runtime does.
 */
public final class ResizeOps implements OpLibrary {
  @Override
  public void register(OpRegistry r) {
    r.register(
        "Resize",
        ResizeOps::resize,
        "mode", STRING, "coordinate_transformation_mode", STRING, "nearest_mode", STRING,
        "cubic_coeff_a", FLOAT, "exclude_outside", INT, "extrapolation_value", FLOAT, "antialias", INT,
        "axes", INTS, "keep_aspect_ratio_policy", STRING);
    r.register("Upsample", ResizeOps::upsample, "mode", STRING, "scales", FLOATS);
  }

  private static NDArray[] resize(KernelContext ctx, NDArray[] in) {
    NDArray x = in[0];
    int rank = x.getShape().dimension();
    long[] inShape = x.getShape().getShape();
    NDArray scalesIn = ctx.opset() >= 11 ? input(in, 2) : input(in, 1);
    NDArray sizesIn = ctx.opset() >= 11 ? input(in, 3) : null;
    long[] axesAttr = ctx.attrLongs("axes", null);
    int[] axes =
        axesAttr == null ? java.util.stream.IntStream.range(0, rank).toArray() : KernelSupport.axes(ctx, axesAttr, rank);
    float[] scales = new float[rank];
    long[] outShape = inShape.clone();
    java.util.Arrays.fill(scales, 1f);
    if (sizesIn != null) {
      long[] sizes = ctx.longs(sizesIn);
      for (int i = 0; i < axes.length; i++) {
        outShape[axes[i]] = sizes[i];
        scales[axes[i]] = (float) sizes[i] / inShape[axes[i]];
      }
    } else if (scalesIn != null) {
      float[] s = scalesIn.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
      for (int i = 0; i < axes.length; i++) {
        scales[axes[i]] = s[i];
        outShape[axes[i]] = (long) Math.floor(inShape[axes[i]] * s[i]);
      }
    } else {
      throw ctx.error("one of scales or sizes is required");
    }
    String defaultTransform = ctx.opset() >= 11 ? "half_pixel" : "asymmetric";
    return one(
        resample(
            ctx, x, outShape, scales,
            ctx.attrString("mode", "nearest"),
            ctx.attrString("coordinate_transformation_mode", defaultTransform),
            ctx.attrString("nearest_mode", ctx.opset() >= 11 ? "round_prefer_floor" : "floor")));
  }

  private static NDArray[] upsample(KernelContext ctx, NDArray[] in) {
    NDArray x = in[0];
    long[] inShape = x.getShape().getShape();
    float[] scales =
        in.length > 1 && in[1] != null
            ? in[1].toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray()
            : ctx.attrFloats("scales", null);
    long[] outShape = new long[inShape.length];
    for (int i = 0; i < inShape.length; i++) {
      outShape[i] = (long) Math.floor(inShape[i] * scales[i]);
    }
    return one(resample(ctx, x, outShape, scales, ctx.attrString("mode", "nearest"), "asymmetric", "floor"));
  }

  private static NDArray input(NDArray[] in, int i) {
    return in.length > i && in[i] != null && in[i].getShape().size() > 0 ? in[i] : null;
  }

  private static NDArray resample(
      KernelContext ctx, NDArray x, long[] outShape, float[] scales, String mode, String transform, String nearest) {
    NDArray y = x;
    long[] inShape = x.getShape().getShape();
    for (int a = 0; a < inShape.length; a++) {
      if (outShape[a] == inShape[a] && scales[a] == 1f) {
        continue;
      }
      int outLen = (int) outShape[a];
      long inLen = inShape[a];
      float[] coords = new float[outLen];
      for (int i = 0; i < outLen; i++) {
        coords[i] = original(ctx, transform, i, scales[a], outLen, inLen);
      }
      switch (mode) {
        case "nearest" -> {
          long[] pos = new long[outLen];
          for (int i = 0; i < outLen; i++) {
            pos[i] = Math.max(0, Math.min(inLen - 1, nearest(ctx, nearest, coords[i])));
          }
          y = KernelSupport.take(ctx, y, a, pos);
        }
        case "linear", "bilinear", "trilinear" -> {
          long[] lo = new long[outLen];
          long[] hi = new long[outLen];
          float[] w = new float[outLen];
          for (int i = 0; i < outLen; i++) {
            float c = Math.max(0f, Math.min(coords[i], inLen - 1));
            lo[i] = Math.min((long) c, inLen - 1);
            hi[i] = Math.min(lo[i] + 1, inLen - 1);
            w[i] = c - lo[i];
          }
          long[] wShape = new long[inShape.length];
          java.util.Arrays.fill(wShape, 1);
          wShape[a] = outLen;
          NDArray weight = ctx.engineOwned(ctx.manager().create(w)).reshape(new Shape(wShape))
              .toType(y.getDataType(), false);
          NDArray low = KernelSupport.take(ctx, y, a, lo);
          NDArray high = KernelSupport.take(ctx, y, a, hi);
          y = low.add(high.sub(low).mul(weight));
        }
        default -> throw ctx.error("resize mode '" + mode + "' is not supported (nearest, linear)");
      }
    }
    return y;
  }

  private static float original(KernelContext ctx, String transform, int x, float scale, int outLen, long inLen) {
    return switch (transform) {
      case "half_pixel" -> (x + 0.5f) / scale - 0.5f;
      case "pytorch_half_pixel" -> outLen > 1 ? (x + 0.5f) / scale - 0.5f : 0f;
      case "align_corners" -> outLen == 1 ? 0f : x * (float) (inLen - 1) / (outLen - 1);
      case "asymmetric" -> x / scale;
      case "half_pixel_symmetric" -> {
        float adjustment = outLen / (scale * inLen);
        float center = inLen / 2f;
        float offset = center * (1 - adjustment);
        yield offset + (x + 0.5f) / scale - 0.5f;
      }
      default -> throw ctx.error("coordinate_transformation_mode '" + transform + "' is not supported");
    };
  }

  private static long nearest(KernelContext ctx, String mode, float c) {
    return switch (mode) {
      case "round_prefer_floor" -> c == Math.floor(c) + 0.5f ? (long) Math.floor(c) : Math.round(c);
      case "round_prefer_ceil" -> Math.round(c);
      case "floor" -> (long) Math.floor(c);
      case "ceil" -> (long) Math.ceil(c);
      default -> throw ctx.error("nearest_mode '" + mode + "' is not supported");
    };
  }
}
