package org.sparkquant.core.gptq;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkquant.core.export.QuantizedWeights;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.ScalarQuantizer;
import org.sparkquant.core.quantizer.WeightQuantizer;
import org.sparkquant.core.quantizer.WeightSpec;
import org.sparkquant.core.sum.FixedTreeSum;

/**
 * GPTQ over a whole model, sequentially: the groups of {@link GptqLayers} are solved in order, each on statistics
 * gathered with the weights of every earlier group already quantized (GPTQ's dequantized values installed, see
 * {@link #solvedWeights()}), so that a layer compensates the error of the layers before it.
 *
 * <p>This object is the driver's state: it takes each group's merged {@link HessianAccumulator}, solves the group's
 * layers ({@link GptqSolver}) and, once every group is solved, gives a {@link WeightQuantizer.Plan} in the same form
 * round to nearest produces, so that {@code Quantizer.prepare(plan)} exports GPTQ's codes (and can calibrate
 * activations on the quantized model). The statistics come from {@link HessianCollector}s, in this process
 * ({@link #run}) or on other machines.
 *
 * <p>Calibration batches are pushed through the model once: each stops at the current group's input
 * ({@link LayerBoundary}) and advances to the next group's input once the group is solved.
 */
public final class GptqQuantizer {
  /**
   * One layer's solve, for reports.
   *
   * @param hessianRows input rows the Hessian was accumulated over (real tokens, unfolded patches)
   * @param loss GPTQ's loss ({@link GptqResult#loss()}), NaN where the layer fell back to round to nearest
   * @param damping the relative damping the factorization succeeded with, NaN for round to nearest
   * @param seconds solve time
   * @param sqnrDb signal-to-quantization-noise ratio of the stored weight against the original
   */
  public record LayerResult(
      String node, String op, String weight, String spec, String method, int rows, int cols, long hessianRows,
      double loss, double damping, double seconds, int deadColumns, double sqnrDb) {}

  /** One calibration batch: the model's inputs and the token mask ({@code [batch, tokens]}, or null). */
  public record Batch(Map<String, NDArray> inputs, NDArray tokenMask) {}

  private final GptqLayers layers;
  private final GptqOptions options;
  private final Map<String, float[]> solved = new LinkedHashMap<>();
  private final Map<String, QuantParams> params = new HashMap<>();
  private final Map<String, Tensor> codes = new HashMap<>();
  private final Map<String, WeightQuantizer.LayerReport> reports = new HashMap<>();
  private final List<LayerResult> results = new ArrayList<>();
  private int next;

  /**
   * @throws IllegalArgumentException when the options do not fit a layer's spec (act-order on per-block weights
   *     needs static groups)
   */
  public GptqQuantizer(GptqLayers layers, GptqOptions options) {
    this.layers = layers;
    this.options = options;
    for (GptqLayers.Group g : layers.groups()) {
      for (GptqLayers.Layer l : g.layers()) {
        try {
          options.config(l.target().spec());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "GPTQ of " + l.target().node().describe() + ": " + e.getMessage() + " (--static-groups)", e);
        }
      }
    }
  }

  public GptqLayers layers() {
    return layers;
  }

  /** The group {@link #solve} expects next; {@code layers().groups().size()} once all are solved. */
  public int nextGroup() {
    return next;
  }

  public boolean done() {
    return next == layers.groups().size();
  }

  /**
   * GPTQ's dequantized weights of the groups solved so far, in their stored layout: what a
   * {@link HessianCollector} runs with for the next group.
   */
  public Map<String, float[]> solvedWeights() {
    return Collections.unmodifiableMap(solved);
  }

  /** The layers solved so far, in solve order. */
  public List<LayerResult> results() {
    return List.copyOf(results);
  }

  /**
   * Solves group {@link #nextGroup()} from the statistics of its input.
   *
   * @param statistics {@code Σ x xᵀ} over the calibration data, gathered with {@link #solvedWeights()} installed
   * @return the group's layers
   */
  public List<LayerResult> solve(int group, HessianAccumulator statistics) {
    if (group != next) {
      throw new IllegalStateException("groups are solved in order: expected group " + next + ", found " + group);
    }
    GptqLayers.Group g = layers.groups().get(group);
    if (statistics.features() != g.features()) {
      throw new IllegalArgumentException(
          "group " + group + " ('" + g.input() + "') needs statistics of " + g.features() + " features, found "
              + statistics.features());
    }
    Graph graph = layers.graph();
    List<LayerResult> out = new ArrayList<>();
    double[] h = statistics.rows() == 0 ? null : statistics.hessian();
    for (GptqLayers.Layer l : g.layers()) {
      WeightQuantizer.Target t = l.target();
      Tensor w = graph.constants().get(t.weight());
      float[] stored = w.floats();
      if (h == null) {
        // never reached by real rows: nothing to compensate against
        QuantParams p = WeightQuantizer.rangeParams(w, t.spec(), t.spec().granularity(t.outAxis(), t.inAxis()));
        int[] c = ScalarQuantizer.quantize(stored, w.shape(), p);
        out.add(record(t, w, stored, c, p, l, "rtn (no calibration rows)", 0, Double.NaN, Double.NaN, 0, 0));
        continue;
      }
      float[] matrix = l.transposed() ? transpose(stored, l.cols(), l.rows()) : stored;
      GptqResult r = GptqSolver.solve(matrix, l.rows(), l.cols(), h, options.config(t.spec()));
      int[] c = l.transposed() ? transpose(r.codes(), l.rows(), l.cols()) : r.codes();
      QuantParams p = storedParams(r.params(), l, t.spec());
      out.add(record(t, w, stored, c, p, l, "gptq", statistics.rows(), r.loss(), r.damping(), r.seconds(),
          r.deadColumns()));
    }
    next++;
    results.addAll(out);
    return out;
  }

  private LayerResult record(
      WeightQuantizer.Target t, Tensor w, float[] original, int[] c, QuantParams p, GptqLayers.Layer l, String method,
      long rows, double loss, double damping, double seconds, int dead) {
    params.put(t.weight(), p);
    codes.put(t.weight(), QuantizedWeights.pack(p.type(), w.shape(), c));
    solved.put(t.weight(), ScalarQuantizer.dequantize(c, w.shape(), p));
    WeightQuantizer.LayerReport rep = WeightQuantizer.report(t.node(), t.weight(), w.shape(), original, c, t.spec(), p);
    reports.put(t.weight(), rep);
    return new LayerResult(t.node().name(), t.node().opType(), t.weight(), t.spec().describe(), method, l.rows(),
        l.cols(), rows, loss, damping, seconds, dead, rep.sqnrDb());
  }

  /** GPTQ's parameters (laid out for {@code [rows, cols]}) in the layout of the stored weight. */
  private static QuantParams storedParams(QuantParams p, GptqLayers.Layer l, WeightSpec spec) {
    WeightQuantizer.Target t = l.target();
    Granularity g = spec.granularity(t.outAxis(), t.inAxis());
    if (!l.transposed() || spec.layout() != WeightSpec.Layout.PER_BLOCK) {
      // per tensor and per channel lay out the same either way; per block [rows, blocks] along axis 1 already
      return new QuantParams(p.type(), g, p.paramShape(), p.scale(), p.zeroPoint());
    }
    long[] ps = p.paramShape(); // [rows, blocks]
    int rows = (int) ps[0];
    int blocks = (int) ps[1];
    return new QuantParams(p.type(), g, new long[] {blocks, rows}, transpose(p.scale(), rows, blocks),
        transpose(p.zeroPoint(), rows, blocks));
  }

  /**
   * The weight plan once every group is solved: GPTQ's parameters and codes for solved layers, round to nearest for
   * {@link GptqLayers#fallbacks()}, and the graph with every solved weight replaced by its dequantized codes.
   */
  public WeightQuantizer.Plan plan() {
    if (!done()) {
      throw new IllegalStateException(
          "solve every group first: " + next + " of " + layers.groups().size() + " are solved");
    }
    Graph graph = layers.graph();
    Map<String, QuantParams> p = new LinkedHashMap<>();
    Map<String, Tensor> q = new LinkedHashMap<>();
    List<WeightQuantizer.LayerReport> rep = new ArrayList<>();
    Graph.Builder b = graph.toBuilder();
    for (WeightQuantizer.Target t : layers.targets()) {
      String name = t.weight();
      Tensor w = graph.constants().get(name);
      if (params.containsKey(name)) {
        p.put(name, params.get(name));
        q.put(name, codes.get(name));
        rep.add(reports.get(name));
        b.addConstant(name, Tensor.ofFloats(w.shape(), solved.get(name)));
      } else {
        QuantParams rp = WeightQuantizer.rangeParams(w, t.spec(), t.spec().granularity(t.outAxis(), t.inAxis()));
        int[] c = ScalarQuantizer.quantize(w.floats(), w.shape(), rp);
        p.put(name, rp);
        q.put(name, QuantizedWeights.pack(rp.type(), w.shape(), c));
        rep.add(WeightQuantizer.report(t.node(), name, w.shape(), w.floats(), c, t.spec(), rp));
      }
    }
    return new WeightQuantizer.Plan(b.build(), p, q, rep);
  }

  /**
   * Runs GPTQ in this process: each batch is pushed once through the model, group by group
   * ({@link HessianCollector}); each group's statistics are summed along {@link FixedTreeSum} (as a distributed run
   * sums them), the group is solved, and the batches advance to the next group with its solved weights installed.
   */
  public static GptqQuantizer run(GptqLayers layers, GptqOptions options, List<Batch> batches) {
    if (batches.isEmpty()) {
      throw new IllegalArgumentException("GPTQ needs at least one calibration batch");
    }
    GptqQuantizer q = new GptqQuantizer(layers, options);
    List<LayerBoundary> states = new ArrayList<>();
    try (HessianCollector c = new HessianCollector(layers)) {
      for (Batch b : batches) {
        states.add(c.start(b.inputs(), b.tokenMask()));
      }
      for (GptqLayers.Group g : layers.groups()) {
        Map<FixedTreeSum.Span, HessianAccumulator> parts = FixedTreeSum.partial(states.size(), 0, states.size(),
            i -> c.accumulate(states.get(i)), GptqQuantizer::add);
        q.solve(g.index(), FixedTreeSum.total(states.size(), parts, GptqQuantizer::add));
        if (!q.done()) {
          c.setWeights(q.solvedWeights());
          for (int i = 0; i < states.size(); i++) {
            LayerBoundary s = states.set(i, null);
            states.set(i, c.advance(s));
          }
        }
      }
    } finally {
      states.stream().filter(java.util.Objects::nonNull).forEach(LayerBoundary::close);
    }
    return q;
  }

  /** {@code a + b} into {@code a}: the combine step of {@link FixedTreeSum} for statistics. */
  public static HessianAccumulator add(HessianAccumulator a, HessianAccumulator b) {
    a.merge(b);
    return a;
  }

  private static float[] transpose(float[] v, int rows, int cols) {
    float[] t = new float[v.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        t[c * rows + r] = v[r * cols + c];
      }
    }
    return t;
  }

  private static int[] transpose(int[] v, int rows, int cols) {
    int[] t = new int[v.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        t[c * rows + r] = v[r * cols + c];
      }
    }
    return t;
  }
}
