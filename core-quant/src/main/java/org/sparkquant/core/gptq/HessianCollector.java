package org.sparkquant.core.gptq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
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
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;

/**
 * The worker side of GPTQ: pushes calibration batches through the model once, group by group, and gathers
 * {@code Σ x xᵀ} of each group's input ({@link HessianAccumulator}).
 *
 * <p>A batch enters with {@link #start} and stops at the first group's input as a {@link LayerBoundary}: the values
 * that cross the cut there ({@link ModelCuts}). {@link #accumulate} reads the group's statistics from it; once the
 * group is solved and its weights installed ({@link #setWeights}), {@link #advance} runs only the nodes up to the
 * next group's input. The model's prefix is never run again for later layers.
 *
 * <p>Rows of a MatMul or Gemm input {@code [..., d]} are all its leading positions; with a token mask, only the rows
 * of real tokens count. Which leading axes are the mask's (batch and sequence) is learned once from two shape traces
 * of the whole model with different batch and sequence lengths, as activation calibration does; an input whose
 * leading axes are not the mask's (nor their flattening) takes every row. Conv inputs are unfolded
 * ({@link ConvUnfold}).
 */
public final class HessianCollector implements AutoCloseable {
  private final GptqLayers layers;
  private final ModelCuts cuts;
  /** Part 0 runs the prefix, part {@code g + 1} the segment after group {@code g}'s cut; null when empty. */
  private final DjlExecutor[] parts;
  private final boolean[] built;
  private final Map<String, Installed> installed = new LinkedHashMap<>();
  private final Map<String, Boolean> masked = new HashMap<>();
  private boolean maskAxesLearned;

  public HessianCollector(GptqLayers layers) {
    this.layers = layers;
    this.cuts = new ModelCuts(layers.graph(), layers.groups().stream().map(GptqLayers.Group::input).toList());
    this.parts = new DjlExecutor[cuts.groups()];
    this.built = new boolean[cuts.groups()];
  }

  private DjlExecutor part(int part) {
    if (!built[part]) {
      built[part] = true;
      Graph g = part == 0 ? cuts.prefix() : cuts.segment(part - 1);
      if (g != null && !g.nodes().isEmpty()) {
        parts[part] = new DjlExecutor(g);
        installed.values().forEach(w -> w.installIn(parts[part]));
      }
    }
    return parts[part];
  }

  /**
   * Runs with these weights (in their stored layout, e.g. GPTQ's dequantized weights of solved layers) instead of the
   * graph's, replacing whatever was installed before; an empty map restores the graph's weights. A weight given as
   * the same array as last time is not copied to the engine again (the solved weights grow group by group).
   */
  public void setWeights(Map<String, float[]> values) {
    for (String name : new ArrayList<>(installed.keySet())) {
      if (values.get(name) != installed.get(name).source) {
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
      Installed w = new Installed(name, v, m, m.create(v, new Shape(t.shape())));
      installed.put(name, w);
      for (DjlExecutor p : parts) {
        if (p != null) {
          w.installIn(p);
        }
      }
    });
  }

  /** A weight replaced on the engine: the array it came from, its engine copy, and its transforms. */
  private static final class Installed {
    final String name;
    final float[] source;
    final NDManager manager;
    final NDArray array;
    final List<GraphExecutor.Registration> registrations = new ArrayList<>();

    Installed(String name, float[] source, NDManager manager, NDArray array) {
      this.name = name;
      this.source = source;
      this.manager = manager;
      this.array = array;
    }

    void installIn(DjlExecutor executor) {
      if (executor.graph().constants().containsKey(name)) {
        registrations.add(executor.setTransform(name, (n, w) -> array));
      }
    }

    void close() {
      registrations.forEach(GraphExecutor.Registration::close);
      manager.close();
    }
  }

  /**
   * Runs a batch up to the first group's input.
   *
   * @param inputs the model's inputs (not closed here)
   * @param tokenMask {@code [batch, tokens]}, 0 at padding, or null when every row counts (copied)
   */
  public LayerBoundary start(Map<String, NDArray> inputs, NDArray tokenMask) {
    if (tokenMask != null) {
      learnMaskAxes(inputs, tokenMask.getShape().getShape());
    }
    NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE);
    try {
      DjlExecutor prefix = part(0);
      Map<String, NDArray> produced = new HashMap<>();
      if (prefix != null) {
        Map<String, NDArray> in = new HashMap<>();
        for (ValueInfo v : prefix.graph().inputs()) {
          in.put(v.name(), required(inputs, v.name()));
        }
        collect(prefix, prefix.run(m, in), produced);
      }
      Map<String, NDArray> values = new LinkedHashMap<>();
      for (String name : cuts.live(0)) {
        NDArray v = produced.get(name);
        if (v == null) {
          v = required(inputs, name).duplicate();
          v.attach(m);
        }
        values.put(name, v);
      }
      NDArray mask = null;
      if (tokenMask != null) {
        mask = tokenMask.duplicate();
        mask.attach(m);
      }
      return new LayerBoundary(0, values, mask, m);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  private static NDArray required(Map<String, NDArray> inputs, String name) {
    NDArray a = inputs.get(name);
    if (a == null) {
      throw new IllegalArgumentException("missing input '" + name + "'");
    }
    return a;
  }

  private static void collect(DjlExecutor part, NDList outputs, Map<String, NDArray> into) {
    List<ValueInfo> names = part.graph().outputs();
    for (int i = 0; i < names.size(); i++) {
      into.put(names.get(i).name(), outputs.get(i));
    }
  }

  /**
   * Moves a batch from its group's input to the next group's, with the installed weights; {@code b} is closed.
   *
   * @throws IllegalStateException when {@code b} is at the last group
   */
  public LayerBoundary advance(LayerBoundary b) {
    int g = b.group();
    if (g + 1 >= cuts.groups()) {
      throw new IllegalStateException("group " + g + " is the last group: nothing to advance to");
    }
    NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE);
    try {
      DjlExecutor segment = part(g + 1);
      Map<String, NDArray> produced = new HashMap<>();
      if (segment != null) {
        Map<String, NDArray> in = new HashMap<>();
        for (ValueInfo v : segment.graph().inputs()) {
          in.put(v.name(), b.values().get(v.name()));
        }
        collect(segment, segment.run(m, in), produced);
      }
      Map<String, NDArray> values = new LinkedHashMap<>();
      for (String name : cuts.live(g + 1)) {
        NDArray v = produced.get(name);
        if (v == null) {
          v = b.values().get(name);
          v.attach(m);
        }
        values.put(name, v);
      }
      NDArray mask = b.tokenMask();
      if (mask != null) {
        mask.attach(m);
      }
      b.close();
      return new LayerBoundary(g + 1, values, mask, m);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** The statistics of the input of the group {@code b} has reached. */
  public HessianAccumulator accumulate(LayerBoundary b) {
    GptqLayers.Group group = layers.groups().get(b.group());
    NDArray value = b.values().get(group.input());
    HessianAccumulator acc = new HessianAccumulator(group.features());
    if (group.unfold() != null) {
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        acc.add(group.unfold().unfold(value).get(0));
      }
      return acc;
    }
    NDArray mask = b.tokenMask();
    boolean useMask = mask != null && masked(group.input(), value.getShape().getShape(),
        mask.getShape().getShape());
    acc.add(value, useMask ? mask : null);
    return acc;
  }

  /**
   * The statistics of one group's input on one batch, running the model from its inputs (the weights of every earlier
   * group must be installed).
   */
  public HessianAccumulator accumulate(GptqLayers.Group group, Map<String, NDArray> inputs, NDArray tokenMask) {
    LayerBoundary b = start(inputs, tokenMask);
    try {
      while (b.group() < group.index()) {
        b = advance(b);
      }
      return accumulate(b);
    } finally {
      b.close();
    }
  }

  /**
   * Whether the rows of a group input are the mask's positions: learned from two shape traces of the whole model
   * when the first masked batch starts (the traces give every group input's shape at once); where the model does not
   * run with other batch and sequence lengths, judged by the value's own shape.
   */
  private boolean masked(String value, long[] valueShape, long[] maskShape) {
    Boolean known = masked.get(value);
    return known != null ? known : valueShape.length >= 2 && leadingAre(valueShape, maskShape[0], maskShape[1]);
  }

  private void learnMaskAxes(Map<String, NDArray> inputs, long[] maskShape) {
    if (maskShape.length != 2) {
      throw new IllegalArgumentException(
          "the token mask must have shape [batch, tokens], found " + Arrays.toString(maskShape));
    }
    if (maskAxesLearned) {
      return;
    }
    maskAxesLearned = true;
    Map<String, long[]> a = new LinkedHashMap<>();
    Map<String, long[]> b = new LinkedHashMap<>();
    inputs.forEach((k, v) -> {
      long[] s = v.getShape().getShape();
      boolean token = s.length >= 2 && s[0] == maskShape[0] && s[1] == maskShape[1];
      a.put(k, token ? withTokens(s, 3, 7) : s);
      b.put(k, token ? withTokens(s, 5, 11) : s);
    });
    try (DjlExecutor tracer = new DjlExecutor(layers.graph())) {
      Map<String, long[]> ta = ShapeTrace.trace(tracer, a);
      Map<String, long[]> tb = ShapeTrace.trace(tracer, b);
      for (GptqLayers.Group g : layers.groups()) {
        long[] sa = ta.get(g.input());
        long[] sb = tb.get(g.input());
        masked.put(g.input(), sa != null && sb != null && sa.length == sb.length && sa.length >= 2
            && leadingAre(sa, 3, 7) && leadingAre(sb, 5, 11));
      }
    } catch (RuntimeException e) {
      // the model does not run with other batch and sequence lengths: each value is judged by its shape
      masked.clear();
    }
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

  @Override
  public void close() {
    installed.values().forEach(Installed::close);
    installed.clear();
    for (DjlExecutor p : parts) {
      if (p != null) {
        p.close();
      }
    }
  }
}
