package org.sparkquant.core.qat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.exec.Scalars;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.ValueInfo;
import org.sparkquant.core.quantizer.ActivationStatistics;
import org.sparkquant.core.quantizer.PreparedModel;
import org.sparkquant.core.quantizer.Quantizer;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.quantizer.WeightQuantizer;

/**
 * A quantized model being trained, as a worker holds it: the prepared model (fake quantization, activation
 * observers) that runs the trained values, and the FP32 model that teaches it. {@link #gradients} computes one
 * micro-batch's gradients under a step's parameters; {@link #trainer()} gives the driver's side.
 *
 * <p>Not thread-safe, and the engine collects gradients for one pass at a time per JVM: run one training pass at a
 * time in a process.
 */
public final class QatModel implements AutoCloseable {
  private final Graph model;
  private final QuantizerConfig config;
  private final QatOptions options;
  private final WeightQuantizer.Plan start;
  private final PreparedModel prepared;
  private final Trainables trainables;
  /** Whether the losses and metrics read the logs of the outputs: KL or CE on a model that ends with a Softmax. */
  private final boolean logOfOutput;
  private DjlExecutor teacher;

  /** Training that starts from the FP32 weights, quantized by round to nearest. */
  public QatModel(Graph model, QuantizerConfig config, QatOptions options) {
    this(model, config, options, WeightQuantizer.plan(model, config));
  }

  /**
   * Training that starts from {@code start} (e.g. GPTQ's plan): its graph's weights are the initial master weights and
   * its parameters the planned ones (see {@link QatOptions.WeightScales#PLANNED}); the teacher is {@code model}.
   */
  public QatModel(Graph model, QuantizerConfig config, QatOptions options, WeightQuantizer.Plan start) {
    if (options.weightScales() == QatOptions.WeightScales.LEARNED
        && start.params().values().stream().anyMatch(p -> p.type().isFloat())) {
      throw new IllegalArgumentException("learned scales need integer weight types; preset " + config.preset()
          + " has float weights");
    }
    if (options.learnActivationScales() && config.quantizesActivations() && config.activations().type().isFloat()) {
      throw new IllegalArgumentException("learned scales need integer activation types; preset " + config.preset()
          + " has " + config.activations().type() + " activations");
    }
    if (options.loss() != QatLoss.CE && model.outputs().isEmpty()) {
      throw new IllegalArgumentException("model has no outputs to distill");
    }
    this.model = model;
    this.config = config;
    this.options = options;
    this.start = start;
    this.logOfOutput = (options.loss() == QatLoss.KL || options.loss() == QatLoss.CE) && outputsProbabilities(model);
    this.prepared = new Quantizer(model, config).prepare(start);
    try {
      this.trainables = Trainables.of(prepared, config, options.trainVectors());
    } catch (RuntimeException e) {
      prepared.close();
      throw e;
    }
  }

  public Trainables trainables() {
    return trainables;
  }

  /**
   * Whether the model's first output is class probabilities: made, through any Identity nodes, by a Softmax over its
   * last axis. Classifiers exported for inference often end so; {@link QatLoss#KL} and {@link QatLoss#CE} expect
   * logits, and the logs of probabilities are logits ({@code logSoftmax(log p) = log p}).
   */
  public static boolean outputsProbabilities(Graph model) {
    if (model.outputs().isEmpty()) {
      return false;
    }
    ValueInfo output = model.outputs().get(0);
    Node n = model.producer(output.name());
    while (n != null && n.opType().equals("Identity") && n.domain().isEmpty()) {
      n = model.producer(n.inputs().get(0));
    }
    if (n == null || !n.opType().equals("Softmax") || !n.domain().isEmpty()) {
      return false;
    }
    Attribute a = n.attributes().get("axis");
    long axis = a != null ? (Long) a.value() : model.defaultOpset() >= 13 ? -1 : 1;
    return axis == -1 || output.dims() != null && axis == output.dims().size() - 1;
  }

  /** The output as the losses take it: its log where it holds probabilities (floored at 1e-30), else itself. */
  private NDArray lossInput(NDArray output) {
    return output == null || !logOfOutput ? output : Scalars.maximum(output, 1e-30f).log();
  }

  public QatOptions options() {
    return options;
  }

  public QuantizerConfig config() {
    return config;
  }

  /** The driver's side: initial state, step parameters, updates and the export. */
  public QatTrainer trainer() {
    return new QatTrainer(model, config, options, start, trainables, prepared.graph());
  }

  /**
   * The FP32 model's first output on {@code batch}, owned by {@code m}: the batch's own {@link QatBatch#teacher()}
   * when it has one, else computed.
   */
  public NDArray teacherOutput(NDManager m, QatBatch batch) {
    if (batch.teacher() != null) {
      return batch.teacher();
    }
    if (teacher == null) {
      teacher = new DjlExecutor(WeightQuantizer.graphFor(model, config));
    }
    return teacher.run(m, batch.inputs()).get(0);
  }

  /**
   * The gradients of {@code Σ loss(sample) / globalBatch} over {@code batch} under {@code params}, with the summed loss
   * and the activation statistics the batch added (when {@code params} observe).
   *
   * @param globalBatch samples in the whole step, over every micro-batch and worker
   */
  public Gradients gradients(QatParameters params, QatBatch batch, long globalBatch) {
    try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE)) {
      NDArray target = options.loss().needsLabels() ? null : teacherOutput(m, batch);
      TrainingPass pass = new TrainingPass(m, trainables, params, true);
      prepared.resetStatistics();
      double loss;
      try (PreparedModel.Mode t = prepared.trainingMode(pass);
          GradientCollector gc = Engine.getEngine(DjlExecutor.ENGINE).newGradientCollector()) {
        NDList out = prepared.observe(batch.inputs(), batch.tokenMask());
        try {
          NDArray sum = options.loss().sum(lossInput(out.get(0)), lossInput(target), batch.tokenMask(),
              batch.labels());
          loss = sum.getFloat();
          gc.backward(Scalars.div(sum, globalBatch));
        } finally {
          out.close();
        }
      }
      ActivationStatistics observed = params.observing() ? prepared.statistics() : ActivationStatistics.empty();
      prepared.resetStatistics();
      return new Gradients(pass.gradients(), loss, batch.size(), observed);
    }
  }

  /**
   * The quantized model's outputs on {@code inputs} under {@code params} (nothing observed, no gradients), owned by
   * the manager of the first input.
   */
  public NDList forward(QatParameters params, java.util.Map<String, NDArray> inputs) {
    try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE)) {
      try (PreparedModel.Mode t = prepared.trainingMode(new TrainingPass(m, trainables, evaluation(params), false))) {
        return prepared.forward(inputs);
      }
    }
  }

  private static QatParameters evaluation(QatParameters p) {
    return new QatParameters(p.step(), p.tensors(), java.util.Set.of(), p.weightParams(), p.activationParams(), false);
  }

  /**
   * The validation metric ({@link QatLoss#metricSum}) summed over {@code batch}, with the quantized model evaluated
   * under {@code params} (nothing observed, no gradients).
   */
  public double metricSum(QatParameters params, QatBatch batch) {
    try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE)) {
      NDArray target = options.loss().needsLabels() ? null : teacherOutput(m, batch);
      try (PreparedModel.Mode t = prepared.trainingMode(new TrainingPass(m, trainables, evaluation(params), false))) {
        try (NDList out = prepared.forward(batch.inputs())) {
          return options.loss().metricSum(lossInput(out.get(0)), lossInput(target), batch.tokenMask(),
              batch.labels());
        }
      }
    }
  }

  /**
   * The FP32 model's validation metric summed over {@code batch}: for metrics measured against labels
   * ({@link QatLoss#CE}), the reference the trained model's value is read against.
   */
  public double fp32MetricSum(QatBatch batch) {
    try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE)) {
      return options.loss().metricSum(lossInput(teacherOutput(m, batch)), null, batch.tokenMask(), batch.labels());
    }
  }

  @Override
  public void close() {
    try {
      prepared.close();
    } finally {
      if (teacher != null) {
        teacher.close();
      }
    }
  }
}
