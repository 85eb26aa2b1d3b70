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
import org.sparkquant.core.fusion.FusionBlock;
import org.sparkquant.core.fusion.FusionPatterns;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.numerics.EngineQuantizer;
import org.sparkquant.core.numerics.Packing;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.TrainableFakeQuant;
import org.sparkquant.core.observer.Observer;
import org.sparkquant.core.passes.OpsetUpgrade;
import org.sparkquant.core.passes.QuantizedWeights;

/**
 * A model with fake quantization attached to its executor, without copying the graph: weights are fake-quantized
 * with frozen round-to-nearest parameters; activation quantizers where {@link ActivationPlacement} puts them (at
 * fusion-block boundaries in graph mode, after every op of a block in eager mode) observe ranges and fake-quantize
 * with them.
 *
 * <p>Three states: evaluation (observers off, fake quantization on, the default), calibration (observers on, fake
 * quantization off) and training (observers on, fake quantization on with straight-through gradients). The mode
 * scopes return to evaluation when closed. {@link #finalize(Backend)} freezes the parameters into an exported model.
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
  private final Ranges<?> ranges;
  private State state = State.EVAL;

  PreparedModel(Graph model, QuantizerConfig config, FusionPatterns patterns) {
    WeightQuantizer.Plan rtn = WeightQuantizer.plan(model, config);
    this.config = config;
    this.patterns = patterns;
    this.weights = rtn.params();
    this.quantizedWeights = rtn.quantized();
    this.ranges = config.activations() == null ? null : new Ranges<>(config.activations().newObserver());
    this.graph = ranges == null ? rtn.graph() : withActivationQuantizers(rtn.graph());
    this.executor = new DjlExecutor(graph);
    try {
      weights.forEach((name, p) -> executor.setTransform(name, (n, w) -> fakeQuantWeight(w, p)));
      for (String a : activations.keySet()) {
        executor.setTransform(dequantized(a), (n, v) -> activation(a, v));
      }
    } catch (RuntimeException e) {
      executor.close();
      throw e;
    }
  }

  /** The value an activation quantizer outputs; its consumers read this instead of the activation. */
  private static String dequantized(String activation) {
    return activation + "_dequantized";
  }

  private static String quantizerNode(String activation) {
    return activation + "/ActivationQuantizer";
  }

  /**
   * Inserts an activation quantizer (an Identity node whose output the fake quantization replaces) for every value
   * {@link ActivationPlacement} chooses; only the chosen node inputs read the quantized value, as they will in the
   * exported model. Quantizers that share parameters share one set of statistics.
   */
  private Graph withActivationQuantizers(Graph g) {
    placement = ActivationPlacement.of(g, config.mode(), patterns);
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
      b.addNode(Node.of(quantizerNode(a), "Identity", List.of(a), List.of(dequantized(a))));
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

  private NDArray fakeQuantWeight(NDArray w, QuantParams p) {
    if (state == State.CALIBRATION) {
      return w;
    }
    if (state == State.TRAINING) {
      return straightThrough(w, p);
    }
    return EngineQuantizer.fakeQuantize(w, p);
  }

  private NDArray activation(String name, NDArray v) {
    String group = activations.get(name);
    if (state != State.EVAL) {
      ranges.observe(group, name, v);
    }
    if (state == State.CALIBRATION || !ranges.seen(group)) {
      return v;
    }
    QuantParams p = ranges.params(group);
    return state == State.TRAINING ? straightThrough(v, p) : EngineQuantizer.fakeQuantize(v, p);
  }

  /**
   * Statistics per parameter group (quantizers that share parameters share statistics) and the parameters frozen
   * from them, recomputed only after new observations.
   */
  private static final class Ranges<S> {
    private final Observer<S> observer;
    private final Map<String, S> stats = new HashMap<>();
    private final Map<String, QuantParams> params = new HashMap<>();

    Ranges(Observer<S> observer) {
      this.observer = observer;
    }

    void observe(String group, String tensor, NDArray v) {
      observer.observe(stats.computeIfAbsent(group, g -> observer.newStats()), tensor, v);
      params.remove(group);
    }

    boolean seen(String group) {
      return stats.containsKey(group);
    }

    QuantParams params(String group) {
      return params.computeIfAbsent(group, g -> observer.params(stats.get(g), new long[0]));
    }
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

  /** The graph the prepared model runs (after graph-mode passes). */
  public Graph graph() {
    return graph;
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

  /** Calibration: observers on, fake quantization off, until the scope closes. */
  public Mode calibrationMode() {
    return enter(State.CALIBRATION);
  }

  /** Training: observers on, fake quantization on with straight-through gradients, until the scope closes. */
  public Mode trainingMode() {
    return enter(State.TRAINING);
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
   * Freezes the parameters and builds the exported model: weights stored quantized behind DequantizeLinear, each
   * activation quantizer as QuantizeLinear → DequantizeLinear feeding the nodes it was placed for.
   */
  public Graph finalize(Backend backend) {
    if (state != State.EVAL) {
      throw new IllegalStateException("finalize in evaluation mode; close the " + state + " scope first");
    }
    Graph g = new QuantizedWeights(weights, quantizedWeights).apply(graph);
    Map<String, QuantParams> acts = new LinkedHashMap<>();
    long opset = g.defaultOpset();
    for (Map.Entry<String, String> e : activations.entrySet()) {
      if (!ranges.seen(e.getValue())) {
        throw new IllegalStateException("activation '" + e.getKey() + "' was never observed; calibrate first");
      }
      QuantParams p = ranges.params(e.getValue());
      acts.put(e.getKey(), p);
      opset = Math.max(opset, QuantizedWeights.requiredOpset(p));
    }
    g = new OpsetUpgrade(opset).apply(g);
    Graph.Builder b = g.toBuilder().clearNodes();
    for (Node n : g.nodes()) {
      String a = n.inputs().isEmpty() ? null : n.inputs().get(0);
      if (a == null || !acts.containsKey(a) || !n.name().equals(quantizerNode(a))) {
        b.addNode(n);
        continue;
      }
      QuantParams p = acts.get(a);
      b.addConstant(a + "_scale", Tensor.ofFloats(new long[0], p.scale()));
      b.addConstant(a + "_zero_point", new Tensor(p.type().onnxType(), new long[0],
          java.nio.ByteBuffer.wrap(Packing.pack(p.type(), p.zeroPoint()))));
      b.addNode(Node.of(a + "/QuantizeLinear", "QuantizeLinear", List.of(a, a + "_scale", a + "_zero_point"),
          List.of(a + "_quantized")));
      b.addNode(Node.of(a + "/DequantizeLinear", "DequantizeLinear",
          List.of(a + "_quantized", a + "_scale", a + "_zero_point"), List.of(dequantized(a))));
    }
    return b.metadata("sparkquant.preset", config.preset()).build();
  }

  @Override
  public void close() {
    executor.close();
  }
}
