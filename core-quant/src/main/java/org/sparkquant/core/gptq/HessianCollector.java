package org.sparkquant.core.gptq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.exec.GraphExecutor;
import org.sparkquant.core.exec.ShapeTrace;
import org.sparkquant.core.graph.Tensor;

/**
 * The worker side of GPTQ: runs the model on calibration batches, with the weights solved so far installed, and
 * gathers {@code Σ x xᵀ} of one group's input ({@link HessianAccumulator}).
 *
 * <p>Rows of a MatMul or Gemm input {@code [..., d]} are all its leading positions; with a token mask, only the rows
 * of real tokens count. Which leading axes are the mask's (batch and sequence) is learned once per group from two
 * shape traces with different batch and sequence lengths, as activation calibration does; an input whose leading
 * axes are not the mask's (nor their flattening) takes every row. Conv inputs are unfolded ({@link ConvUnfold}).
 *
 * <p>A run stops as soon as the group's input has been seen: later nodes cannot change it.
 */
public final class HessianCollector implements AutoCloseable {
  private final GptqLayers layers;
  private final DjlExecutor executor;
  private final Map<String, Installed> installed = new LinkedHashMap<>();
  private final Map<String, Boolean> masked = new HashMap<>();
  private long[] tracedMaskShape;

  public HessianCollector(GptqLayers layers) {
    this.layers = layers;
    this.executor = new DjlExecutor(layers.graph());
  }

  /**
   * Runs with these weights (in their stored layout, e.g. GPTQ's dequantized weights of solved layers) instead of the
   * graph's, replacing whatever was installed before; an empty map restores the graph's weights. A weight given as
   * the same array as last time is not copied to the engine again (the solved weights grow group by group).
   */
  public void setWeights(Map<String, float[]> values) {
    for (String name : new ArrayList<>(installed.keySet())) {
      if (values.get(name) != installed.get(name).source()) {
        installed.remove(name).close();
      }
    }
    values.forEach((name, v) -> {
      if (installed.containsKey(name)) {
        return;
      }
      Tensor t = layers.graph().constants().get(name);
      if (t == null || Tensor.numElements(t.shape()) != v.length) {
        throw new IllegalArgumentException(
            "weight '" + name + "' is not a constant of " + (t == null ? "the model" : Tensor.numElements(t.shape())
                + " values, found " + v.length));
      }
      NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE);
      NDArray a = m.create(v, new Shape(t.shape()));
      installed.put(name, new Installed(v, m, executor.setTransform(name, (n, w) -> a)));
    });
  }

  /** A weight replaced on the engine: the array it came from, its engine copy's manager, and the transform. */
  private record Installed(float[] source, NDManager manager, GraphExecutor.Registration registration) {
    void close() {
      registration.close();
      manager.close();
    }
  }

  /**
   * The statistics of group {@code group}'s input on one batch.
   *
   * @param inputs the model's inputs
   * @param tokenMask {@code [batch, tokens]}, 0 at padding, or null when every row counts
   */
  public HessianAccumulator accumulate(GptqLayers.Group group, Map<String, NDArray> inputs, NDArray tokenMask) {
    HessianAccumulator acc = new HessianAccumulator(group.features());
    boolean useMask = tokenMask != null && masked(group.input(), inputs, tokenMask.getShape().getShape());
    String input = group.input();
    try (NDManager out = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE);
        GraphExecutor.Registration r = executor.addListener((node, name, value) -> {
          if (!name.equals(input)) {
            return;
          }
          if (group.unfold() != null) {
            acc.add(group.unfold().unfold(value).get(0));
          } else {
            acc.add(value, useMask ? tokenMask : null);
          }
          throw new Seen();
        })) {
      executor.run(out, inputs).close();
      throw new IllegalStateException("the run never computed '" + input + "', the input of group " + group.index());
    } catch (Seen done) {
      return acc;
    }
  }

  /** Ends a run once the group's input was accumulated. */
  private static final class Seen extends RuntimeException {
    Seen() {
      super(null, null, false, false);
    }
  }

  private boolean masked(String value, Map<String, NDArray> inputs, long[] maskShape) {
    if (tracedMaskShape == null || !Arrays.equals(tracedMaskShape, maskShape)) {
      masked.clear();
      tracedMaskShape = maskShape.clone();
    }
    Boolean known = masked.get(value);
    if (known != null) {
      return known;
    }
    if (maskShape.length != 2) {
      throw new IllegalArgumentException(
          "the token mask must have shape [batch, tokens], found " + Arrays.toString(maskShape));
    }
    Map<String, long[]> a = new LinkedHashMap<>();
    Map<String, long[]> b = new LinkedHashMap<>();
    inputs.forEach((k, v) -> {
      long[] s = v.getShape().getShape();
      boolean token = s.length >= 2 && s[0] == maskShape[0] && s[1] == maskShape[1];
      a.put(k, token ? withTokens(s, 3, 7) : s);
      b.put(k, token ? withTokens(s, 5, 11) : s);
    });
    boolean result;
    try {
      long[] sa = ShapeTrace.trace(executor, a).get(value);
      long[] sb = ShapeTrace.trace(executor, b).get(value);
      result = sa != null && sb != null && sa.length == sb.length && sa.length >= 2
          && leadingAre(sa, 3, 7) && leadingAre(sb, 5, 11);
    } catch (RuntimeException e) {
      // the model does not run with other batch and sequence lengths: judge by the shape the value has
      long[] s = inputsShapeOf(value, inputs);
      result = s != null && leadingAre(s, maskShape[0], maskShape[1]);
    }
    masked.put(value, result);
    return result;
  }

  private static long[] withTokens(long[] s, long batch, long tokens) {
    long[] t = s.clone();
    t[0] = batch;
    t[1] = tokens;
    return t;
  }

  /** The leading axes of {@code s} (all but the last) are {@code [batch, tokens]} or {@code [batch · tokens]}. */
  private static boolean leadingAre(long[] s, long batch, long tokens) {
    long[] lead = Arrays.copyOf(s, s.length - 1);
    return Arrays.equals(lead, new long[] {batch, tokens}) || Arrays.equals(lead, new long[] {batch * tokens});
  }

  private long[] inputsShapeOf(String value, Map<String, NDArray> inputs) {
    long[][] found = new long[1][];
    try (NDManager out = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE);
        GraphExecutor.Registration r = executor.addListener((node, name, v) -> {
          if (name.equals(value)) {
            found[0] = v.getShape().getShape();
            throw new Seen();
          }
        })) {
      executor.run(out, inputs).close();
    } catch (Seen done) {
      // found
    }
    return found[0];
  }

  @Override
  public void close() {
    installed.values().forEach(Installed::close);
    installed.clear();
    executor.close();
  }
}
