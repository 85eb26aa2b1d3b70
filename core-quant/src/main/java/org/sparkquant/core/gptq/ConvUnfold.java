package org.sparkquant.core.gptq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Map;
import org.sparkquant.core.exec.EngineArrays;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.Node;

/**
 * The rows a convolution's weight sees (im2col): for a {@code Conv} with weight {@code [out, in/group, k…]}, each
 * output position of each image is one row of {@code in/group · ∏k} input values per group, ordered as the weight's
 * trailing axes flatten ({@code (channel, k₁, k₂, …)} row-major), so that the Conv equals, per group, these rows times
 * the weight reshaped to {@code [out/group, in/group · ∏k]} transposed. GPTQ treats the reshaped weight as its
 * {@code [rows, cols]} matrix and accumulates its Hessian over these rows ({@link HessianAccumulator}), one Hessian
 * per group.
 *
 * <p>The attributes are ONNX's: {@code kernel_shape} (else the weight's), {@code strides}, {@code dilations},
 * {@code pads} (all begins, then all ends) or {@code auto_pad} ({@code NOTSET}, {@code VALID}, {@code SAME_UPPER},
 * {@code SAME_LOWER}), {@code group}; any number of spatial axes.
 */
public record ConvUnfold(long[] kernel, long[] strides, long[] dilations, long[] pads, String autoPad, int group) {

  public ConvUnfold {
    int n = kernel.length;
    if (n == 0 || strides.length != n || dilations.length != n || pads.length != 2 * n) {
      throw new IllegalArgumentException(
          "a convolution over " + n + " spatial axes needs " + n + " strides and dilations and " + 2 * n
              + " pads, found " + strides.length + ", " + dilations.length + " and " + pads.length);
    }
    for (int i = 0; i < n; i++) {
      if (kernel[i] < 1 || strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 || pads[i + n] < 0) {
        throw new IllegalArgumentException(
            "kernel, strides and dilations must be positive and pads not negative, found kernel "
                + Arrays.toString(kernel) + " strides " + Arrays.toString(strides) + " dilations "
                + Arrays.toString(dilations) + " pads " + Arrays.toString(pads));
      }
    }
    if (!java.util.List.of("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER").contains(autoPad)) {
      throw new IllegalArgumentException("auto_pad '" + autoPad + "' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
    }
    if (group < 1) {
      throw new IllegalArgumentException("group must be positive, found " + group);
    }
    kernel = kernel.clone();
    strides = strides.clone();
    dilations = dilations.clone();
    pads = pads.clone();
  }

  /** The unfold of a {@code Conv} node whose weight has shape {@code weightShape} ({@code [out, in/group, k…]}). */
  public static ConvUnfold of(Node conv, long[] weightShape) {
    if (!conv.opType().equals("Conv")) {
      throw new IllegalArgumentException(conv.describe() + " is not a Conv");
    }
    if (weightShape.length < 3) {
      throw new IllegalArgumentException(
          conv.describe() + ": the weight must have shape [out, in/group, k...], found " + Arrays.toString(weightShape));
    }
    int n = weightShape.length - 2;
    Map<String, Attribute> a = conv.attributes();
    long[] kernel = longs(a, "kernel_shape", Arrays.copyOfRange(weightShape, 2, weightShape.length));
    long[] ones = new long[n];
    Arrays.fill(ones, 1);
    String autoPad = a.containsKey("auto_pad") ? (String) a.get("auto_pad").value() : "NOTSET";
    long group = a.containsKey("group") ? (Long) a.get("group").value() : 1;
    return new ConvUnfold(
        kernel, longs(a, "strides", ones), longs(a, "dilations", ones), longs(a, "pads", new long[2 * n]),
        autoPad.isEmpty() ? "NOTSET" : autoPad, Math.toIntExact(group));
  }

  private static long[] longs(Map<String, Attribute> a, String name, long[] fallback) {
    return a.containsKey(name) ? (long[]) a.get(name).value() : fallback;
  }

  /** Columns of the unfolded rows (the Hessian's size) for {@code channels} input channels. */
  public int features(long channels) {
    long f = channels / group;
    for (long k : kernel) {
      f *= k;
    }
    return Math.toIntExact(f);
  }

  /**
   * The pads used for input spatial sizes {@code spatial}: the explicit ones, or those {@code auto_pad} derives
   * (ONNX's rule; the odd one at the end for {@code SAME_UPPER}, at the start for {@code SAME_LOWER}).
   */
  public long[] padsFor(long[] spatial) {
    int n = kernel.length;
    return switch (autoPad) {
      case "VALID" -> new long[2 * n];
      case "SAME_UPPER", "SAME_LOWER" -> {
        long[] p = new long[2 * n];
        for (int i = 0; i < n; i++) {
          long out = (spatial[i] + strides[i] - 1) / strides[i];
          long total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - spatial[i]);
          p[i] = autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2;
          p[i + n] = total - p[i];
        }
        yield p;
      }
      default -> pads.clone();
    };
  }

  /**
   * The rows of input {@code x} ({@code [N, C, spatial…]}): shape {@code [group, N · ∏out, C/group · ∏k]}, rows
   * ordered by image, then output position (row-major).
   */
  public NDArray unfold(NDArray x) {
    long[] xs = x.getShape().getShape();
    int n = kernel.length;
    if (xs.length != n + 2 || xs[1] % group != 0) {
      throw new IllegalArgumentException(
          "a convolution over " + n + " spatial axes with group " + group + " needs inputs [N, C, " + n
              + " spatial axes] with C divisible by the group, found " + x.getShape());
    }
    long[] spatial = Arrays.copyOfRange(xs, 2, xs.length);
    long[] p = padsFor(spatial);
    long[] out = new long[n];
    long positions = 1;
    int offsets = 1;
    for (int i = 0; i < n; i++) {
      long span = (kernel[i] - 1) * dilations[i] + 1;
      long padded = spatial[i] + p[i] + p[i + n];
      if (padded < span) {
        throw new IllegalArgumentException(
            "input " + x.getShape() + " is smaller than the kernel " + Arrays.toString(kernel) + " (dilations "
                + Arrays.toString(dilations) + ", pads " + Arrays.toString(p) + ")");
      }
      out[i] = (padded - span) / strides[i] + 1;
      positions *= out[i];
      offsets = Math.multiplyExact(offsets, Math.toIntExact(kernel[i]));
    }
    NDArray result;
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray padded = Arrays.stream(p).anyMatch(v -> v != 0) ? x.pad(EngineArrays.enginePads(p), 0) : x;
      NDArray[] slices = new NDArray[offsets];
      long[] at = new long[n];
      for (int o = 0; o < offsets; o++) {
        NDIndex index = new NDIndex().addAllDim().addAllDim();
        for (int i = 0; i < n; i++) {
          long start = at[i] * dilations[i];
          index.addSliceDim(start, start + strides[i] * (out[i] - 1) + 1, strides[i]);
        }
        slices[o] = padded.get(index);
        for (int i = n - 1; i >= 0 && ++at[i] == kernel[i]; i--) {
          at[i] = 0;
        }
      }
      long c = xs[1] / group;
      NDArray stacked = offsets == 1 ? slices[0].expandDims(2) : NDArrays.stack(new NDList(slices), 2);
      result = stacked
          .reshape(new Shape(xs[0], group, c, offsets, positions))
          .transpose(1, 0, 4, 2, 3)
          .reshape(new Shape(group, xs[0] * positions, c * offsets));
      NDScope.unregister(result);
    }
    NDScope.register(result);
    return result;
  }

  @Override
  public long[] kernel() {
    return kernel.clone();
  }

  @Override
  public long[] strides() {
    return strides.clone();
  }

  @Override
  public long[] dilations() {
    return dilations.clone();
  }

  @Override
  public long[] pads() {
    return pads.clone();
  }
}
