package org.sparkquant.core.qat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.export.Backend;
import org.sparkquant.core.export.QuantizedWeights;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.ScalarQuantizer;
import org.sparkquant.core.quantizer.ActivationSpec;
import org.sparkquant.core.quantizer.ActivationStatistics;
import org.sparkquant.core.quantizer.PreparedModel;
import org.sparkquant.core.quantizer.Quantizer;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.quantizer.WeightQuantizer;
import org.sparkquant.core.sum.FixedTreeSum;

/**
 * The driver's side of training: the initial {@link QatState}, the {@link QatParameters} of each step, the update
 * from a step's summed {@link Gradients}, and the export of a state. Pure functions of their arguments, computed in a
 * fixed order on plain arrays, so that a resumed run repeats the bits of an uninterrupted one.
 */
public final class QatTrainer {
  /** Smallest learned scale: updates never make a scale zero or negative. */
  static final float MIN_SCALE = 1e-10f;

  private final Graph model;
  private final QuantizerConfig config;
  private final QatOptions options;
  private final WeightQuantizer.Plan start;
  private final Trainables trainables;
  private final Graph prepared;
  private final Optimizer optimizer;

  QatTrainer(Graph model, QuantizerConfig config, QatOptions options, WeightQuantizer.Plan start,
      Trainables trainables, Graph prepared) {
    this.model = model;
    this.config = config;
    this.options = options;
    this.start = start;
    this.trainables = trainables;
    this.prepared = prepared;
    this.optimizer = options.optimizer().newOptimizer();
  }

  public Trainables trainables() {
    return trainables;
  }

  public QatOptions options() {
    return options;
  }

  /** Step 0: the start's weights and vectors, learned weight scales at their planned values, no statistics. */
  public QatState initialState() {
    Map<String, float[]> tensors = new LinkedHashMap<>();
    for (Trainables.Weight w : trainables.weights()) {
      tensors.put(w.name(), prepared.constants().get(w.name()).floats());
      if (options.weightScales() == QatOptions.WeightScales.LEARNED) {
        tensors.put(Trainables.weightScaleKey(w.name()), w.planned().scale());
      }
    }
    for (Trainables.Vector v : trainables.vectors()) {
      tensors.put(v.name(), prepared.constants().get(v.name()).floats());
    }
    Map<String, float[][]> slots = new LinkedHashMap<>();
    tensors.forEach((k, t) -> slots.put(k, newSlots(t.length)));
    return new QatState(0, tensors, slots, ActivationStatistics.empty());
  }

  private float[][] newSlots(int length) {
    float[][] s = new float[optimizer.slots()][];
    for (int i = 0; i < s.length; i++) {
      s[i] = new float[length];
    }
    return s;
  }

  /** Whether the activation observers gather statistics at {@code step}. */
  public boolean observes(long step) {
    return config.quantizesActivations() && step < options.freezeObserversAfter();
  }

  /** What the workers compute step {@code state.step()}'s gradients with. */
  public QatParameters parameters(QatState state) {
    long step = state.step();
    Set<String> trained = new java.util.LinkedHashSet<>(state.tensors().keySet());
    if (step >= options.freezeBatchNormAfter()) {
      trainables.vectors().stream().filter(Trainables.Vector::batchNorm).forEach(v -> trained.remove(v.name()));
    }
    return new QatParameters(step, state.tensors(), trained, weightParams(state), activationParams(state),
        observes(step));
  }

  /** The weights' parameters in {@code state}: recomputed from the weights, planned, or learned. */
  Map<String, QuantParams> weightParams(QatState state) {
    // weights in parallel (each from its own values alone), collected in order
    List<QuantParams> params = trainables.weights().parallelStream().map(w -> {
      QuantParams planned = w.planned();
      return switch (options.weightScales()) {
        case PLANNED -> planned;
        case RANGE -> WeightQuantizer.rangeParams(state.tensor(w.name()), w.shape(), w.spec(), planned.granularity());
        case LEARNED -> new QuantParams(planned.type(), planned.granularity(), planned.paramShape(),
            state.tensor(Trainables.weightScaleKey(w.name())), planned.zeroPoint());
      };
    }).toList();
    Map<String, QuantParams> out = new LinkedHashMap<>();
    for (int i = 0; i < params.size(); i++) {
      out.put(trainables.weights().get(i).name(), params.get(i));
    }
    return out;
  }

  /** Activation parameters in {@code state}: from the statistics so far, with learned scales where they exist. */
  Map<String, QuantParams> activationParams(QatState state) {
    if (!config.quantizesActivations()) {
      return Map.of();
    }
    Map<String, QuantParams> out = new LinkedHashMap<>();
    state.statistics().params(config.activations()).forEach((group, p) -> {
      float[] learned = state.tensors().get(Trainables.activationScaleKey(group));
      out.put(group, learned == null ? p : QuantParams.perTensor(p.type(), learned[0], p.zeroPoint()[0]));
    });
    return out;
  }

  /**
   * The state after applying {@code total}, the summed gradients of step {@code state.step()}: one optimizer update of
   * every tensor trained this step at the schedule's rate (weight decay on quantized weights only, learned scales kept
   * positive), the step's activation statistics merged while observers are on, and learned activation scales started
   * from the frozen statistics at the step where the observers freeze.
   */
  public QatState apply(QatState state, Gradients total) {
    long step = state.step();
    QatParameters p = parameters(state);
    float lr = (float) options.schedule().at(step);
    Map<String, float[]> tensors = new LinkedHashMap<>(state.tensors());
    Map<String, float[][]> slots = new LinkedHashMap<>(state.slots());
    Set<String> weights = new HashSet<>();
    trainables.weights().forEach(w -> weights.add(w.name()));
    for (String key : p.trained()) {
      if (!total.tensors().containsKey(key)) {
        throw new IllegalArgumentException("no gradient for trained tensor '" + key + "'");
      }
    }
    // tensors in parallel: each element's update depends on that element alone, so the bits do not depend on it
    List<String> keys = List.copyOf(p.trained());
    List<Object[]> updated = keys.parallelStream().map(key -> {
      float[] values = state.tensor(key).clone();
      float[][] s = copy(state.slots().get(key), values.length);
      optimizer.update(values, total.tensors().get(key), s, lr, step, weights.contains(key));
      if (key.endsWith("#scale") || key.endsWith("#activation_scale")) {
        for (int i = 0; i < values.length; i++) {
          values[i] = Math.max(values[i], MIN_SCALE);
        }
      }
      return new Object[] {values, s};
    }).toList();
    for (int i = 0; i < keys.size(); i++) {
      tensors.put(keys.get(i), (float[]) updated.get(i)[0]);
      slots.put(keys.get(i), (float[][]) updated.get(i)[1]);
    }
    ActivationStatistics stats = p.observing()
        ? state.statistics().plus(total.observed(), config.activations()) : state.statistics();
    long next = step + 1;
    if (options.learnActivationScales() && config.quantizesActivations() && next == options.freezeObserversAfter()) {
      stats.params(config.activations()).forEach((group, q) -> {
        String key = Trainables.activationScaleKey(group);
        tensors.put(key, new float[] {q.scale()[0]});
        slots.put(key, newSlots(1));
      });
    }
    return new QatState(next, tensors, slots, stats);
  }

  private float[][] copy(float[][] s, int length) {
    if (s == null) {
      return newSlots(length);
    }
    float[][] c = new float[s.length][];
    for (int i = 0; i < s.length; i++) {
      c[i] = s[i].clone();
    }
    return c;
  }

  /** The activation spec, or null for weight-only configs (what {@link Gradients#plus} merges statistics with). */
  public ActivationSpec activationSpec() {
    return config.activations();
  }

  /**
   * The gradients of micro-batches {@code [from, to)} of a step of {@code n}, summed along the fixed tree of
   * {@link FixedTreeSum}: {@code leaf} is called once per micro-batch in order.
   */
  public Map<FixedTreeSum.Span, Gradients> partial(int n, int from, int to,
      java.util.function.IntFunction<Gradients> leaf) {
    return FixedTreeSum.partial(n, from, to, leaf, (a, b) -> a.plus(b, config.activations()));
  }

  /** The step's total from partials that cover its {@code n} micro-batches (from any number of workers). */
  public Gradients total(int n, Map<FixedTreeSum.Span, Gradients> partials) {
    return FixedTreeSum.total(n, partials, (a, b) -> a.plus(b, config.activations()));
  }

  /**
   * One whole step in this process: the gradients of every micro-batch under the state's parameters, summed along
   * the fixed tree, and the update. {@code batches} are the step's micro-batches in order.
   */
  public QatState step(QatModel worker, QatState state, List<QatBatch> batches) {
    QatParameters p = parameters(state);
    long global = 0;
    for (QatBatch b : batches) {
      global += b.size();
    }
    long g = global;
    Map<FixedTreeSum.Span, Gradients> parts =
        partial(batches.size(), 0, batches.size(), i -> worker.gradients(p, batches.get(i), g));
    return apply(state, total(batches.size(), parts));
  }

  /**
   * The weight plan of a state: each weight quantized with its final parameters (recomputed, planned or learned), the
   * start's graph with the weights replaced by their dequantized codes and the vectors by their trained values.
   */
  public WeightQuantizer.Plan plan(QatState state) {
    Map<String, QuantParams> params = weightParams(state);
    Map<String, Tensor> codes = new LinkedHashMap<>();
    List<WeightQuantizer.LayerReport> reports = new ArrayList<>();
    Graph.Builder b = start.graph().toBuilder();
    Map<String, WeightQuantizer.Target> targets = new LinkedHashMap<>();
    WeightQuantizer.targets(start.graph(), config).forEach(t -> targets.put(t.weight(), t));
    for (Trainables.Weight w : trainables.weights()) {
      QuantParams q = params.get(w.name());
      float[] v = state.tensor(w.name());
      int[] c = ScalarQuantizer.quantize(v, w.shape(), q);
      codes.put(w.name(), QuantizedWeights.pack(q.type(), w.shape(), c));
      b.addConstant(w.name(), Tensor.ofFloats(w.shape(), ScalarQuantizer.dequantize(c, w.shape(), q)));
      WeightQuantizer.Target t = targets.get(w.name());
      if (t != null) {
        reports.add(WeightQuantizer.report(t.node(), w.name(), w.shape(), v, c, t.spec(), q));
      }
    }
    for (Trainables.Vector v : trainables.vectors()) {
      b.addConstant(v.name(), Tensor.ofFloats(v.shape(), state.tensor(v.name())));
    }
    return new WeightQuantizer.Plan(b.build(), params, codes, reports);
  }

  /**
   * The trained model exported as {@code backend}: the state's {@link #plan} prepared like any other weight plan,
   * with the state's activation statistics (and learned activation scales), frozen ({@link PreparedModel#freeze()})
   * and written by the backend's exporter.
   */
  public Graph finalize(QatState state, Backend backend) {
    try (PreparedModel p = new Quantizer(model, config).prepare(plan(state))) {
      if (config.quantizesActivations()) {
        p.addStatistics(state.statistics());
        activationParams(state).forEach((group, q) -> {
          if (state.tensors().containsKey(Trainables.activationScaleKey(group))) {
            p.fixActivationParams(group, q);
          }
        });
      }
      return p.finalize(backend);
    }
  }
}
