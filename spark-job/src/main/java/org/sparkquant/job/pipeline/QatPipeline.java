package org.sparkquant.job.pipeline;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparkquant.core.export.Backend;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.ValueInfo;
import org.sparkquant.core.qat.LrSchedule;
import org.sparkquant.core.qat.Optimizer;
import org.sparkquant.core.qat.QatLoss;
import org.sparkquant.core.qat.QatOptions;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.quantizer.WeightQuantizer;
import org.sparkquant.io.data.DataConfig;
import org.sparkquant.io.fs.FileStore;
import org.sparkquant.io.onnx.OnnxModelWriter;
import org.sparkquant.job.qat.Checkpoints;
import org.sparkquant.job.qat.QatJob;
import org.sparkquant.job.spark.JobContext;

/**
 * {@code qat}: distributed quantization-aware training on Spark with checkpoints, then ONNX QDQ export, with its
 * report; checkpoints in the default directory beside the output move into it ({@code checkpoints/}), those of an
 * explicit {@code --checkpoint-dir} stay there.
 */
public final class QatPipeline {
  private QatPipeline() {}

  /** What ran; the report is null after a dry run. */
  public record Result(QuantizerConfig config, QatReport report) {}

  /** Checks the request, trains (default preset w4g32) and commits the output; progress goes to {@code out}. */
  public static Result run(ModelRequest model, DataRequest data, QatRequest training, PrintWriter out)
      throws IOException {
    DataJobDriver driver = new DataJobDriver(model, data, out);
    QuantizerConfig config = model.config(driver.store(), "w4g32");
    if (training.learnableScales() && (config.weights().type().isFloat()
        || config.quantizesActivations() && config.activations().type().isFloat())) {
      throw new UsageError("--learnable-scales needs integer types; preset " + config.preset() + " has float types");
    }
    if ((training.resume() || training.resumeIfPresent()) && model.overwrite()) {
      throw new UsageError("give --resume (or --resume-if-present) or --overwrite, not both");
    }
    DataJobDriver.Inputs in = driver.load();
    QatLoss lossKind = lossKind(training.loss(), in.graph(), in.data());
    long started = System.nanoTime();
    SparkConf conf = driver.sparkConf("qat");
    if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
      throw new UsageError("qat trains in barrier stages, which Spark cannot run with dynamic allocation: pass"
          + " --conf spark.dynamicAllocation.enabled=false (and --num-executors to spark-submit)");
    }
    Checkpoints checkpoints = new Checkpoints(checkpointUri(driver.store(), model, training),
        driver.store().configuration());
    if (training.resume() && checkpoints.isEmpty()) {
      throw new IllegalArgumentException("no checkpoint in '" + checkpoints.uri() + "' to resume from");
    }
    boolean resume = training.resume() || training.resumeIfPresent() && !checkpoints.isEmpty();
    if (!resume && !checkpoints.isEmpty()) {
      if (!model.overwrite()) {
        throw new IllegalArgumentException("checkpoint directory '" + checkpoints.uri() + "' holds the checkpoints of"
            + " an earlier run; pass --resume to continue it or --overwrite to start over");
      }
      checkpoints.delete();
    }
    List<String> files = driver.files(in.data());
    if (model.dryRun()) {
      return new Result(config, null);
    }
    QatJob.Spec spec = new QatJob.Spec(config, options(training, lossKind), in.data(),
        in.tokenizer(), files, data.sampleLimit(), data.seed(), data.batchSize(), training.microBatchSize(),
        training.epochs() == null ? 3 : training.epochs(), training.steps() == null ? 0 : training.steps(),
        training.validationFraction(), data.partitions() == null ? 0 : data.partitions(),
        training.checkpointEvery());
    byte[] modelBytes = new OnnxModelWriter().toBytes(in.graph());
    try (JobContext job = JobContext.obtain(conf)) {
      JavaSparkContext sc = job.sc();
      QatJob.Result result = QatJob.run(sc, in.graph(), modelBytes, driver.modelSha256(), spec, checkpoints, resume,
          out);
      double seconds = (System.nanoTime() - started) / 1e9;
      WeightQuantizer.Plan plan = result.trainer().plan(result.state());
      Provenance provenance = driver.provenance(config, result.dataHash(), files.size(), sc.sc().applicationId())
          .withTraining(result.history().fingerprint(),
              training.checkpointDir() == null ? "checkpoints" : checkpoints.uri());
      Graph exported = provenance.writeTo(result.trainer().finalize(result.state(), Backend.ONNX_QDQ), config,
              (long) result.plan().samples())
          .metadata("sparkquant.qat_steps", Long.toString(result.state().step()))
          .build();
      QatReport report = QatReport.of(plan, result, seconds, provenance);
      driver.write(exported, report, dir -> {
        if (training.checkpointDir() == null) {
          dir.moveIn(checkpoints.path(), "checkpoints");
        }
      });
      return new Result(config, report);
    }
  }

  private static QatLoss lossKind(String loss, Graph graph, DataConfig data) {
    QatLoss kind;
    ValueInfo output = graph.outputs().get(0);
    try {
      kind = QatLoss.parse(loss, output);
    } catch (IllegalArgumentException e) {
      throw new UsageError("--loss: " + e.getMessage());
    }
    if (kind.needsLabels()) {
      if (data.labels() == null) {
        throw new UsageError("--loss ce needs labels: set data.label in the config (a jsonl field, a parquet or"
            + " arrow column, or the image directories' class names)");
      }
      if (output.dims() == null || output.dims().size() != 2) {
        throw new UsageError("--loss ce needs a model whose first output is [batch, classes] logits; output '"
            + output.name() + "' has shape " + output.shapeText());
      }
      int named = data.labels().classes().size();
      if (named > 0 && output.dims().get(1).isKnown() && output.dims().get(1).size() != named) {
        throw new UsageError("data.label.classes names " + named + " classes but output '" + output.name()
            + "' has " + output.dims().get(1).size());
      }
    }
    return kind;
  }

  /** The options; the schedule's total steps are set by the job once the samples are known. */
  private static QatOptions options(QatRequest training, QatLoss lossKind) {
    Optimizer.Kind kind;
    LrSchedule.Kind scheduleKind;
    try {
      kind = Optimizer.Kind.parse(training.optimizer());
      scheduleKind = LrSchedule.Kind.parse(training.schedule());
    } catch (IllegalArgumentException e) {
      throw new UsageError(e.getMessage());
    }
    Optimizer.Config opt = kind == Optimizer.Kind.SGD
        ? new Optimizer.Config(kind, training.momentum(), 0.9, 0.999, 1e-8, training.weightDecay())
        : Optimizer.Config.adamW().withWeightDecay(training.weightDecay());
    return QatOptions.defaults(lossKind, training.lr(), 1).withOptimizer(opt)
        .withSchedule(new LrSchedule(training.lr(), training.warmupSteps(), 1, scheduleKind))
        .withWeightScales(training.learnableScales() ? QatOptions.WeightScales.LEARNED : QatOptions.WeightScales.RANGE)
        .withLearnedActivationScales(training.learnableScales())
        .withFreezeObserversAfter(training.freezeObserversAfter() == null ? Long.MAX_VALUE
            : training.freezeObserversAfter())
        .withFreezeBatchNormAfter(training.freezeBnAfter() == null ? Long.MAX_VALUE : training.freezeBnAfter());
  }

  /** {@code --checkpoint-dir}, else {@code OUTPUT.checkpoints} beside the output, on its file system. */
  private static String checkpointUri(FileStore store, ModelRequest model, QatRequest training) {
    if (training.checkpointDir() != null) {
      return training.checkpointDir();
    }
    org.apache.hadoop.fs.Path output = store.path(model.output());
    return new org.apache.hadoop.fs.Path(output.getParent(), output.getName() + ".checkpoints").toString();
  }
}
