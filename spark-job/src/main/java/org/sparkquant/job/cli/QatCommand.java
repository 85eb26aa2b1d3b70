package org.sparkquant.job.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.ValueInfo;
import org.sparkquant.core.qat.LrSchedule;
import org.sparkquant.core.qat.Optimizer;
import org.sparkquant.core.qat.QatLoss;
import org.sparkquant.core.qat.QatOptions;
import org.sparkquant.core.quantizer.Backend;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.quantizer.WeightQuantizer;
import org.sparkquant.io.config.QuantizerConfigFiles;
import org.sparkquant.io.data.DataConfig;
import org.sparkquant.io.onnx.OnnxModelWriter;
import org.sparkquant.job.qat.Checkpoints;
import org.sparkquant.job.qat.QatJob;
import org.sparkquant.job.qat.TrainingHistory;
import org.sparkquant.job.spark.SparkContexts;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sparkquant qat}: distributed quantization-aware training on Spark, then ONNX QDQ export. */
@Command(
    name = "qat",
    mixinStandardHelpOptions = true,
    description = {
      "Quantization-aware training on Spark, synchronous data parallel: in every step each executor computes the",
      "gradients of its share of the step's samples through the fake-quantized model (distilled from the FP32 model),",
      "the driver sums them in a fixed order and applies one optimizer update. Checkpoints go to",
      "--checkpoint-dir (default DIR.checkpoints) and --resume continues from the newest. Writes DIR/model.onnx",
      "(ONNX QDQ), DIR/report.json (loss per step, validation per epoch), DIR/checkpoints/ and DIR/_SUCCESS,",
      "atomically at the end. Default preset: w4g32."
    })
public final class QatCommand implements Callable<Integer> {
  @CommandLine.Mixin VerboseOption verbose;

  @CommandLine.Mixin DataJobOptions options;

  @Option(names = "--micro-batch-size", paramLabel = "N",
      description = "Samples per gradient computation; a step's micro-batches are spread over the executors"
          + " (default: 8).")
  int microBatchSize = 8;

  @Option(names = "--epochs", paramLabel = "N", description = "Epochs over the training samples (default: 3).")
  Integer epochs;

  @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps, instead of --epochs.")
  Long steps;

  @Option(names = "--lr", paramLabel = "X", description = "Peak learning rate (default: 1e-4).")
  double lr = 1e-4;

  @Option(names = "--optimizer", paramLabel = "sgd|adamw", description = "Optimizer (default: adamw).")
  String optimizer = "adamw";

  @Option(names = "--momentum", paramLabel = "X", description = "SGD momentum (default: 0.9).")
  double momentum = 0.9;

  @Option(names = "--weight-decay", paramLabel = "X",
      description = "Weight decay of the quantized weights (default: 0).")
  double weightDecay;

  @Option(names = "--warmup-steps", paramLabel = "N", description = "Steps of linear warmup (default: 0).")
  long warmupSteps;

  @Option(names = "--schedule", paramLabel = "cosine|constant",
      description = "Learning rate after the warmup (default: cosine, to 0 at the last step).")
  String schedule = "cosine";

  @Option(names = "--loss", paramLabel = "LOSS",
      description = {"distill (default: cosine to the FP32 outputs for embeddings, KL to its logits for",
          "[batch, classes] outputs), distill-cosine, distill-mse, distill-kl, or ce (needs labels)."})
  String loss = "distill";

  @Option(names = "--learnable-scales",
      description = "Learn the weight scales, and the activation scales once the observers freeze (LSQ).")
  boolean learnableScales;

  @Option(names = "--freeze-observers-after", paramLabel = "N",
      description = "Steps during which activation observers gather ranges (default: all).")
  Long freezeObserversAfter;

  @Option(names = "--freeze-bn-after", paramLabel = "N",
      description = "Steps during which BatchNormalization scales and biases train (eager mode; default: all).")
  Long freezeBnAfter;

  @Option(names = "--validation-fraction", paramLabel = "F",
      description = "Share of the samples held out for validation (default: 0.1; 0 for none).")
  double validationFraction = 0.1;

  @Option(names = "--checkpoint-every", paramLabel = "N",
      description = "Steps between checkpoints, besides those after every epoch and at the end (default: 0).")
  long checkpointEvery;

  @Option(names = "--checkpoint-dir", paramLabel = "URI",
      description = "Checkpoint directory on any Hadoop file system (default: DIR.checkpoints).")
  String checkpointDir;

  @Option(names = "--resume", description = "Continue the run whose checkpoints are in the checkpoint directory.")
  boolean resume;

  @Override
  public Integer call() throws IOException {
    options.checkNumbers();
    checkNumbers();
    QuantizerConfig config = options.config("w4g32");
    if (learnableScales && (config.weights().type().isFloat()
        || config.quantizesActivations() && config.activations().type().isFloat())) {
      throw options.usage("--learnable-scales needs integer types; preset " + config.preset() + " has float types");
    }
    if (resume && options.overwrite) {
      throw options.usage("give --resume or --overwrite, not both");
    }
    DataJobOptions.Inputs in = options.load();
    QatLoss lossKind = lossKind(in.graph(), in.data());
    PrintWriter out = options.spec.commandLine().getOut();
    long started = System.nanoTime();
    SparkConf conf = SparkContexts.conf(options.master, "sparkquant qat " + options.model.getFileName(),
        options.sparkConf);
    Checkpoints checkpoints = new Checkpoints(checkpointUri(), SparkContexts.hadoopConfiguration(conf));
    if (resume && checkpoints.isEmpty()) {
      throw new IllegalArgumentException("no checkpoint in '" + checkpoints.uri() + "' to resume from");
    }
    if (!resume && !checkpoints.isEmpty()) {
      if (!options.overwrite) {
        throw new IllegalArgumentException("checkpoint directory '" + checkpoints.uri() + "' holds the checkpoints of"
            + " an earlier run; pass --resume to continue it or --overwrite to start over");
      }
      checkpoints.delete();
    }
    List<String> files = options.files(conf, in.data());
    QatJob.Spec spec = new QatJob.Spec(QuantizerConfigFiles.toYaml(config), qatOptions(lossKind), in.data(),
        in.tokenizer(), files, options.maxSamples == null ? 0 : options.maxSamples, options.seed, options.batchSize,
        microBatchSize, epochs == null ? 3 : epochs, steps == null ? 0 : steps, validationFraction,
        options.partitions == null ? 0 : options.partitions, checkpointEvery);
    String sha = QuantizeCommand.sha256(options.model);
    byte[] modelBytes = new OnnxModelWriter().toBytes(in.graph());
    try (JavaSparkContext sc = new JavaSparkContext(conf)) {
      QatJob.Result result = QatJob.run(sc, in.graph(), modelBytes, sha, spec, checkpoints, resume, out);
      write(config, in.graph(), result, checkpoints, sha, sc.sc().applicationId(), files.size(),
          (System.nanoTime() - started) / 1e9, out);
    }
    return 0;
  }

  private void checkNumbers() {
    options.positive("--micro-batch-size", microBatchSize);
    if (epochs != null && steps != null) {
      throw options.usage("give --epochs or --steps, not both");
    }
    if (epochs != null) {
      options.positive("--epochs", epochs);
    }
    if (steps != null) {
      options.positive("--steps", steps);
    }
    if (!(lr > 0) || Double.isInfinite(lr)) {
      throw options.usage("--lr: expected a positive number, found " + lr);
    }
    if (momentum < 0 || momentum >= 1) {
      throw options.usage("--momentum: expected a number in [0, 1), found " + momentum);
    }
    if (weightDecay < 0) {
      throw options.usage("--weight-decay: expected a number >= 0, found " + weightDecay);
    }
    if (warmupSteps < 0 || checkpointEvery < 0) {
      throw options.usage("--warmup-steps and --checkpoint-every must be >= 0");
    }
    if (freezeObserversAfter != null && freezeObserversAfter < 1) {
      throw options.usage("--freeze-observers-after: expected a positive number, found " + freezeObserversAfter);
    }
    if (freezeBnAfter != null && freezeBnAfter < 0) {
      throw options.usage("--freeze-bn-after: expected a number >= 0, found " + freezeBnAfter);
    }
    if (validationFraction < 0 || validationFraction >= 1) {
      throw options.usage("--validation-fraction: expected a number in [0, 1), found " + validationFraction);
    }
  }

  private QatLoss lossKind(Graph graph, DataConfig data) {
    QatLoss kind;
    ValueInfo output = graph.outputs().get(0);
    try {
      kind = QatLoss.parse(loss, output);
    } catch (IllegalArgumentException e) {
      throw options.usage("--loss: " + e.getMessage());
    }
    if (kind.needsLabels()) {
      if (data.labels() == null) {
        throw options.usage("--loss ce needs labels: set data.label in the config (a jsonl field, a parquet or"
            + " arrow column, or the image directories' class names)");
      }
      if (output.dims() == null || output.dims().size() != 2) {
        throw options.usage("--loss ce needs a model whose first output is [batch, classes] logits; output '"
            + output.name() + "' has shape " + output.shapeText());
      }
      int named = data.labels().classes().size();
      if (named > 0 && output.dims().get(1).isKnown() && output.dims().get(1).size() != named) {
        throw options.usage("data.label.classes names " + named + " classes but output '" + output.name()
            + "' has " + output.dims().get(1).size());
      }
    }
    return kind;
  }

  /** The options; the schedule's total steps are set by the job once the samples are known. */
  private QatOptions qatOptions(QatLoss lossKind) {
    Optimizer.Kind kind;
    LrSchedule.Kind scheduleKind;
    try {
      kind = Optimizer.Kind.parse(optimizer);
      scheduleKind = LrSchedule.Kind.parse(schedule);
    } catch (IllegalArgumentException e) {
      throw options.usage(e.getMessage());
    }
    Optimizer.Config opt = kind == Optimizer.Kind.SGD
        ? new Optimizer.Config(kind, momentum, 0.9, 0.999, 1e-8, weightDecay)
        : Optimizer.Config.adamW().withWeightDecay(weightDecay);
    return QatOptions.defaults(lossKind, lr, 1).withOptimizer(opt)
        .withSchedule(new LrSchedule(lr, warmupSteps, 1, scheduleKind))
        .withWeightScales(learnableScales ? QatOptions.WeightScales.LEARNED : QatOptions.WeightScales.RANGE)
        .withLearnedActivationScales(learnableScales)
        .withFreezeObserversAfter(freezeObserversAfter == null ? Long.MAX_VALUE : freezeObserversAfter)
        .withFreezeBatchNormAfter(freezeBnAfter == null ? Long.MAX_VALUE : freezeBnAfter);
  }

  private String checkpointUri() {
    return checkpointDir != null ? checkpointDir
        : options.output.toAbsolutePath().normalize().resolveSibling(options.output.getFileName() + ".checkpoints")
            .toUri().toString();
  }

  /** Exports the trained model and writes the output directory, with the checkpoints moved in when local. */
  private void write(QuantizerConfig config, Graph graph, QatJob.Result result, Checkpoints checkpoints, String sha,
      String applicationId, int files, double seconds, PrintWriter out) throws IOException {
    WeightQuantizer.Plan plan = result.trainer().plan(result.state());
    Graph exported = options.withMetadata(result.trainer().finalize(result.state(), Backend.ONNX_QDQ), config, sha,
            result.dataHash(), result.plan().samples()).toBuilder()
        .metadata("sparkquant.qat_steps", Long.toString(result.state().step()))
        .build();
    Map<String, Object> report = report(config, plan, result, checkpoints, sha, applicationId, files, seconds);
    Path local = checkpoints.localDirectory();
    options.write(exported, report, dir -> {
      if (local != null && Files.isDirectory(local)) {
        Files.move(local, dir.resolve("checkpoints"));
      }
    });
    TrainingHistory h = result.history();
    out.printf("trained %s for %d steps (%d this run) in %.1f s, %.1f samples/s; final loss %.6g%s%n",
        config.preset(), result.state().step(), result.state().step() - result.resumedFrom(), seconds,
        result.seconds() > 0 ? result.samplesTrained() / result.seconds() : 0.0,
        h.losses().isEmpty() ? Double.NaN : h.losses().get(h.losses().size() - 1).loss(),
        h.validations().isEmpty() ? "" : String.format(", validation %s %.5f",
            h.validations().get(h.validations().size() - 1).metric(),
            h.validations().get(h.validations().size() - 1).value()));
    out.printf("wrote %s%n", options.output.resolve("model.onnx"));
  }

  private Map<String, Object> report(QuantizerConfig config, WeightQuantizer.Plan plan, QatJob.Result result,
      Checkpoints checkpoints, String sha, String applicationId, int files, double seconds) {
    List<Map<String, Object>> layers = plan.layers().stream().map(l -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", l.node());
      m.put("op", l.op());
      m.put("weight", l.weight());
      m.put("quantization", l.spec());
      m.put("sqnr_db", Double.isInfinite(l.sqnrDb()) ? null : Math.round(l.sqnrDb() * 100) / 100.0);
      return m;
    }).toList();
    List<Map<String, Object>> losses = result.history().losses().stream().map(p -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("step", p.step() + 1);
      m.put("epoch", p.epoch() + 1);
      m.put("loss", p.loss());
      m.put("lr", p.lr());
      return m;
    }).toList();
    List<Map<String, Object>> validation = result.history().validations().stream().map(v -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("epoch", v.epoch());
      m.put("step", v.step());
      m.put(v.metric(), v.value());
      if (v.fp32() != null) {
        m.put("fp32_" + v.metric(), v.fp32());
      }
      m.put("samples", v.samples());
      return m;
    }).toList();
    Map<String, Object> totals = new LinkedHashMap<>();
    totals.put("steps", result.state().step());
    totals.put("steps_per_epoch", result.plan().stepsPerEpoch());
    totals.put("training_samples", result.plan().samples());
    totals.put("validation_samples", result.validationSamples());
    totals.put("batch_size", result.plan().batchSize());
    totals.put("micro_batch_size", result.plan().microBatchSize());
    totals.put("partitions", result.partitions());
    totals.put("trained_parameters", result.trainer().trainables().parameterCount());
    totals.put("resumed_from_step", result.resumedFrom());
    totals.put("seconds", Math.round(seconds * 100) / 100.0);
    totals.put("training_samples_per_second",
        result.seconds() > 0 ? Math.round(result.samplesTrained() / result.seconds() * 100) / 100.0 : null);
    QatOptions o = result.trainer().options();
    Map<String, Object> training = new LinkedHashMap<>();
    training.put("loss", o.loss().name().toLowerCase(Locale.ROOT));
    training.put("optimizer", o.optimizer().kind().cliName());
    training.put("lr", o.schedule().base());
    training.put("schedule", o.schedule().kind().name().toLowerCase(Locale.ROOT));
    training.put("warmup_steps", o.schedule().warmupSteps());
    training.put("weight_decay", o.optimizer().weightDecay());
    training.put("weight_scales", o.weightScales().name().toLowerCase(Locale.ROOT));
    training.put("learned_activation_scales", o.learnActivationScales());
    training.put("freeze_observers_after", o.freezeObserversAfter() == Long.MAX_VALUE ? null
        : o.freezeObserversAfter());
    training.put("freeze_bn_after", o.freezeBatchNormAfter() == Long.MAX_VALUE ? null : o.freezeBatchNormAfter());
    Map<String, Object> provenance = options.provenance(config, sha, result.dataHash(), files, applicationId);
    provenance.put("fingerprint", result.history().fingerprint());
    provenance.put("checkpoints", checkpoints.localDirectory() != null ? "checkpoints" : checkpoints.uri());
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("command", "qat");
    report.put("training", training);
    report.put("loss_curve", losses);
    report.put("validation", validation);
    report.put("layers", layers);
    report.put("totals", totals);
    report.put("provenance", provenance);
    return report;
  }
}
