package org.sparkquant.core.quantizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.exec.NonFiniteOrigin;
import org.sparkquant.core.exec.quant.EngineQuantizer;
import org.sparkquant.core.exec.quant.TrainableFakeQuant;
import org.sparkquant.core.export.Backend;
import org.sparkquant.core.export.Exporters;
import org.sparkquant.core.export.FrozenQuantization;
import org.sparkquant.core.fusion.FusionBlock;
import org.sparkquant.core.fusion.FusionPatterns;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.observer.NonFiniteValuesException;

/**
 * A model with fake quantization attached to its executor, without copying the graph: weights are fake-quantized
 * with frozen round-to-nearest parameters; activation quantizers where {@link ActivationPlacement} puts them (at
 * fusion-block boundaries in graph mode, after every op of a block in eager mode) observe ranges and fake-quantize
 * with them.
 *
 * <p>Three states: evaluation (observers off, fake quantization on, the default), calibration (observers on, fake
 * quantization off) and training (observers on, fake quantization on with straight-through gradients). The mode
 * scopes return to evaluation when closed. {@link #finalize(Backend)} freezes the parameters and hands them to the
 * backend's exporter.
 *
 * <p>The activation statistics live in {@link ActivationRanges}; {@link PaddingFilter} leaves padded token positions
 * out of them.
 */
public final class PreparedModel implements AutoCloseable {
  /** What the prepared model does on a forward pass. */
  public enum State {
    EVAL,
    CALIBRATION,
    TRAINING
  }

  private final Graph graph;
  private final QuantizerConfig config;
  private final FusionPatterns patterns;
  private final DjlExecutor executor;
  private final Map<String, QuantParams> weights;
  private final Map<String, Tensor> quantizedWeights;
  private final Map<String, String> activations = new LinkedHashMap<>();
  private ActivationPlacement placement;
  private final ActivationRanges<?> ranges;
  private final PaddingFilter padding = new PaddingFilter();
  private State state = State.EVAL;
  private Trainer trainer;
  private long samples;

  PreparedModel(Graph model, QuantizerConfig config, FusionPatterns patterns) {
    this(WeightQuantizer.plan(model, config), config, patterns);
  }

  /**
   * A model whose weights follow {@code rtn}: its graph (already through graph-mode passes) is what runs, each planned
   * weight is fake-quantized with the planned parameters and exported with the planned codes.
   */
  PreparedModel(WeightQuantizer.Plan rtn, QuantizerConfig config, FusionPatterns patterns) {
    this.config = config;
    this.patterns = patterns;
    this.weights = rtn.params();
    this.quantizedWeights = rtn.quantized();
    this.ranges = config.activations() == null ? null : new ActivationRanges<>(config.activations().newObserver());
    this.graph = ranges == null ? rtn.graph() : withActivationQuantizers(rtn.graph());
    this.executor = new DjlExecutor(graph);
    try {
      weights.forEach((name, p) -> executor.setTransform(name, (n, w) -> fakeQuantWeight(n, w, p)));
      for (String a : activations.keySet()) {
        executor.setTransform(dequantized(a), (n, v) -> activation(a, v));
      }
    } catch (RuntimeException e) {
      executor.close();
      throw e;
    }
  }

  /** The value an activation quantizer outputs; its consumers read this instead of the activation. */
  public static String dequantized(String activation) {
    return FrozenQuantization.dequantized(activation);
  }

  /**
   * Inserts an activation quantizer (an Identity node whose output the fake quantization replaces) for every value
   * {@link ActivationPlacement} chooses; only the chosen node inputs read the quantized value, as they will in the
   * exported model. Quantizers that share parameters share one set of statistics.
   */
  private Graph withActivationQuantizers(Graph g) {
    Set<String> floatNodes = new java.util.HashSet<>();
    for (Node n : g.nodes()) {
      if (WeightQuantizer.specFor(n, config) == null) {
        floatNodes.add(n.name());
      }
    }
    placement = ActivationPlacement.of(g, config.mode(), patterns, floatNodes);
    Map<String, String> rewired = new HashMap<>();
    for (Map.Entry<String, Set<ActivationPlacement.Use>> e : placement.uses().entrySet()) {
      String a = e.getKey();
      activations.put(a, placement.group(a));
      for (ActivationPlacement.Use u : e.getValue()) {
        rewired.put(u.node() + "#" + u.input(), dequantized(a));
      }
    }
    Graph.Builder b = g.toBuilder().clearNodes();
    for (Node n : g.nodes()) {
      List<String> inputs = new ArrayList<>(n.inputs());
      for (int i = 0; i < inputs.size(); i++) {
        inputs.set(i, rewired.getOrDefault(n.name() + "#" + i, inputs.get(i)));
      }
      b.addNode(inputs.equals(n.inputs()) ? n : new Node(n.name(), n.opType(), n.domain(), inputs, n.outputs(),
          n.attributes()));
    }
    for (String a : activations.keySet()) {
      b.addNode(Node.of(FrozenQuantization.quantizerNode(a), "Identity", List.of(a), List.of(dequantized(a))));
    }
    return b.build();
  }

  /** The fusion blocks activation quantizers follow; empty for weight-only configs. */
  public List<FusionBlock> fusionBlocks() {
    return placement == null ? List.of() : placement.blocks();
  }

  /** Activation values whose quantizers share parameters (graph mode), for reports and tests. */
  public List<Set<String>> sharedActivationGroups() {
    return placement == null ? List.of() : placement.sharedGroups();
  }

  private NDArray fakeQuantWeight(String name, NDArray w, QuantParams p) {
    if (state == State.CALIBRATION) {
      return w;
    }
    if (state == State.TRAINING && trainer != null) {
      return trainer.constant(name, w);
    }
    if (state == State.TRAINING) {
      return straightThrough(w, p);
    }
    return EngineQuantizer.fakeQuantize(w, p);
  }

  private NDArray activation(String name, NDArray v) {
    String group = activations.get(name);
    if (state == State.TRAINING && trainer != null) {
      if (trainer.observes()) {
        ranges.observe(group, name, padding.observed(name, v));
      }
      return trainer.activation(group, v);
    }
    if (state != State.EVAL) {
      ranges.observe(group, name, padding.observed(name, v));
    }
    if (state == State.CALIBRATION || !ranges.seen(group)) {
      return v;
    }
    QuantParams p = ranges.params(group);
    return state == State.TRAINING ? straightThrough(v, p) : EngineQuantizer.fakeQuantize(v, p);
  }

  /** Fake quantization whose gradient passes inside the clipping range (integer types) or everywhere (floats). */
  private static NDArray straightThrough(NDArray x, QuantParams p) {
    EngineQuantizer.Broadcast b = EngineQuantizer.broadcast(x.getManager(), p, x.getShape().getShape());
    if (p.type().isFloat()) {
      return x.add(EngineQuantizer.fakeQuantize(x, p.type(), b).sub(x).stopGradient());
    }
    return TrainableFakeQuant.apply(x, b.scale(), b.zeroPoint(), p.type(), 1f);
  }

  public State state() {
    return state;
  }

  /** Names of the weights fake-quantized with planned parameters, in plan order. */
  public Set<String> quantizedWeights() {
    return java.util.Collections.unmodifiableSet(weights.keySet());
  }

  /** The parameters planned for weight {@code name} (round to nearest, or the plan the model was prepared with). */
  public QuantParams plannedParams(String name) {
    QuantParams p = weights.get(name);
    if (p == null) {
      throw new IllegalArgumentException("'" + name + "' is not a quantized weight; the quantized weights are "
          + weights.keySet());
    }
    return p;
  }

  /** The activation spec of the config, or null for weight-only configs. */
  public ActivationSpec activationSpec() {
    return config.activations();
  }

  /** The graph the prepared model runs (after graph-mode passes). */
  public Graph graph() {
    return graph;
  }

  /** The parameter groups of the activation quantizers (a group's quantizers share parameters), in graph order. */
  public Set<String> activationGroups() {
    return new LinkedHashSet<>(activations.values());
  }

  /** The parameter group of the activation quantizer on {@code value}. */
  public String activationGroup(String value) {
    String g = activations.get(value);
    if (g == null) {
      throw new IllegalArgumentException("'" + value + "' has no activation quantizer");
    }
    return g;
  }

  /**
   * Fixes the parameters of activation group {@code group} to {@code params} (learned elsewhere, e.g. by
   * quantization-aware training): they win over the observed statistics from now on, in evaluation and in the export.
   */
  public void fixActivationParams(String group, QuantParams params) {
    if (!activations.containsValue(group)) {
      throw new IllegalArgumentException("'" + group + "' is not an activation group; the groups are "
          + activationGroups());
    }
    ranges.fix(group, params);
  }

  /** Names of the values that carry activation quantizers. */
  public Set<String> activationQuantizers() {
    return new LinkedHashSet<>(activations.keySet());
  }

  /** Runs the model; outputs belong to the manager of the first input. */
  public NDList forward(Map<String, NDArray> inputs) {
    NDArray first = inputs.values().iterator().next();
    return executor.run(first.getManager(), inputs);
  }

  /**
   * Runs one calibration batch (in calibration or training mode) and counts its samples. {@code tokenMask}, when
   * given, is a {@code [batch, positions]} array with 1 at real tokens and 0 at padding: the observers then see only
   * the elements of real positions. Which axes of each quantized value are the batch and the position axes is learnt
   * once, from two trial runs with different batch and position sizes; values where that cannot be told (e.g. batch
   * and heads folded into one axis) are observed whole.
   */
  public NDList observe(Map<String, NDArray> inputs, NDArray tokenMask) {
    if (state == State.EVAL) {
      throw new IllegalStateException("observe in calibration or training mode; open calibrationMode() first");
    }
    NDArray first = inputs.values().iterator().next();
    if (tokenMask != null && !padding.learnt()) {
      learnPaddingAxes(inputs, tokenMask.getShape().getShape());
    }
    padding.startBatch(tokenMask);
    try {
      NDList out = forward(inputs);
      samples += first.getShape().get(0);
      return out;
    } catch (NonFiniteValuesException e) {
      throw NonFiniteOrigin.find(graph, inputs).map(e::withDetail).orElse(e);
    } finally {
      padding.endBatch();
    }
  }

  /** Learns the batch and position axes of the activations ({@link PaddingFilter}) on runs that observe nothing. */
  private void learnPaddingAxes(Map<String, NDArray> inputs, long[] maskShape) {
    State saved = state;
    state = State.EVAL;
    try {
      padding.learn(executor, activations.keySet(), inputs, maskShape);
    } finally {
      state = saved;
    }
  }

  /** The statistics observed so far, as a snapshot that can be shipped and merged. */
  public ActivationStatistics statistics() {
    return ranges == null ? new ActivationStatistics(Map.of(), samples) : ranges.snapshot(samples);
  }

  /** Forgets every observation (e.g. before a new shard of calibration data). */
  public void resetStatistics() {
    samples = 0;
    if (ranges != null) {
      ranges.clear();
    }
  }

  /** Merges a snapshot (from another shard, process or machine) into this model's statistics. */
  public void addStatistics(ActivationStatistics other) {
    samples += other.samples();
    if (ranges != null) {
      ranges.merge(other);
    }
  }

  /** Frozen parameters and observed ranges of every activation quantizer, for reports. */
  public List<ActivationReport> activationReports() {
    List<ActivationReport> out = new ArrayList<>();
    for (Map.Entry<String, String> e : activations.entrySet()) {
      String group = e.getValue();
      if (ranges.seen(group)) {
        out.add(ranges.report(e.getKey(), group, samples));
      }
    }
    return out;
  }

  /**
   * One activation quantizer after calibration.
   *
   * @param value the quantized value
   * @param group the value whose parameters it shares (itself if none)
   * @param params the frozen parameters
   * @param observedMin smallest value observed in the group
   * @param observedMax largest value observed in the group
   * @param clippedFraction estimated fraction of observed values outside the quantization range
   * @param samples samples observed
   */
  public record ActivationReport(String value, String group, QuantParams params, float observedMin,
      float observedMax, double clippedFraction, long samples) {}

  /** Calibration: observers on, fake quantization off, until the scope closes. */
  public Mode calibrationMode() {
    return enter(State.CALIBRATION);
  }

  /** Training: observers on, fake quantization on with straight-through gradients, until the scope closes. */
  public Mode trainingMode() {
    return enter(State.TRAINING);
  }

  /**
   * Training driven by {@code trainer}, until the scope closes: the trainer supplies the value of every constant it
   * trains (the quantized weights with their fake quantization, and any of {@link Trainer#constants()}) and the fake
   * quantization of every activation group; the observers gather statistics of the activations while
   * {@link Trainer#observes()}. Outside a gradient collector this is also how a trainer evaluates its current values.
   */
  public Mode trainingMode(Trainer t) {
    for (String c : t.constants()) {
      if (!graph.constants().containsKey(c)) {
        throw new IllegalArgumentException("trained constant '" + c + "' is not a constant of the prepared graph");
      }
    }
    Mode m = enter(State.TRAINING);
    List<org.sparkquant.core.exec.GraphExecutor.Registration> added = new ArrayList<>();
    try {
      for (String c : t.constants()) {
        if (!weights.containsKey(c)) {
          added.add(executor.setTransform(c, (n, w) -> trainer.constant(n, w)));
        }
      }
    } catch (RuntimeException e) {
      added.forEach(org.sparkquant.core.exec.GraphExecutor.Registration::close);
      m.close();
      throw e;
    }
    trainer = t;
    return () -> {
      trainer = null;
      added.forEach(org.sparkquant.core.exec.GraphExecutor.Registration::close);
      m.close();
    };
  }

  /**
   * What a forward pass computes with in {@link #trainingMode(Trainer)}: the trained values and the fake quantization
   * with the trainer's current parameters (see {@code org.sparkquant.core.qat}).
   */
  public interface Trainer {
    /**
     * Constants besides the quantized weights whose value the trainer supplies (biases, normalization parameters).
     */
    Set<String> constants();

    /**
     * The value constant {@code name} takes in this pass: for a quantized weight its fake-quantized trained value,
     * for one of {@link #constants()} its trained value; {@code stored} is the model's own value.
     */
    NDArray constant(String name, NDArray stored);

    /** The value consumers of activation group {@code group} read: {@code v} fake-quantized, or {@code v} itself. */
    NDArray activation(String group, NDArray v);

    /** Whether the observers gather statistics (until the trainer freezes them). */
    boolean observes();
  }

  private Mode enter(State s) {
    if (state != State.EVAL) {
      throw new IllegalStateException("cannot enter " + s + " mode while in " + state + " mode; close that scope first");
    }
    state = s;
    return () -> state = State.EVAL;
  }

  /** A mode scope; closing it returns the model to evaluation. */
  public interface Mode extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Freezes the parameters: the prepared graph with the planned weight parameters and codes, and the parameters of
   * every activation quantizer (fixed, or frozen from its group's statistics).
   */
  public FrozenQuantization freeze() {
    if (state != State.EVAL) {
      throw new IllegalStateException("finalize in evaluation mode; close the " + state + " scope first");
    }
    Map<String, QuantParams> acts = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : activations.entrySet()) {
      if (!ranges.seen(e.getValue())) {
        throw new IllegalStateException("activation '" + e.getKey() + "' was never observed; calibrate first");
      }
      acts.put(e.getKey(), ranges.params(e.getValue()));
    }
    return new FrozenQuantization(graph, weights, quantizedWeights, acts, Map.of("sparkquant.preset", config.preset()));
  }

  /**
   * Freezes the parameters ({@link #freeze()}) and builds the exported model with {@code backend}'s exporter; for ONNX
   * QDQ, weights stored quantized behind DequantizeLinear, each activation quantizer as QuantizeLinear →
   * DequantizeLinear feeding the nodes it was placed for.
   */
  public Graph finalize(Backend backend) {
    return Exporters.of(backend).export(freeze());
  }

  @Override
  public void close() {
    executor.close();
  }
}
