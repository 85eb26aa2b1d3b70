package org.sparkquant.job.pipeline;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sparkquant.core.qat.QatOptions;
import org.sparkquant.core.quantizer.WeightQuantizer;
import org.sparkquant.job.qat.QatJob;
import org.sparkquant.job.qat.TrainingHistory;

/**
 * The report of {@code qat}: the training settings, the loss curve, the validation after each epoch, each trained
 * weight's quantization, the totals, and the provenance (with the run's fingerprint and where its checkpoints are).
 */
public record QatReport(int reportVersion, String command, Training training, List<LossPoint> lossCurve,
    List<Validation> validation, List<Layer> layers, Totals totals, Provenance provenance) {

  /** The training settings in force. */
  public record Training(String loss, String optimizer, double lr, String schedule, long warmupSteps,
      double weightDecay, String weightScales, boolean learnedActivationScales, Long freezeObserversAfter,
      Long freezeBnAfter) {
    static Training of(QatOptions o) {
      return new Training(o.loss().name().toLowerCase(Locale.ROOT), o.optimizer().kind().cliName(),
          o.schedule().base(), o.schedule().kind().name().toLowerCase(Locale.ROOT), o.schedule().warmupSteps(),
          o.optimizer().weightDecay(), o.weightScales().name().toLowerCase(Locale.ROOT), o.learnActivationScales(),
          o.freezeObserversAfter() == Long.MAX_VALUE ? null : o.freezeObserversAfter(),
          o.freezeBatchNormAfter() == Long.MAX_VALUE ? null : o.freezeBatchNormAfter());
    }
  }

  /** The loss of one step (steps and epochs counted from 1). */
  public record LossPoint(long step, long epoch, double loss, double lr) {}

  /**
   * One validation: the epoch and step, the metric under its own name (and the FP32 model's, prefixed
   * {@code fp32_}, where measured), and the samples it covered.
   */
  public record Validation(long epoch, long step, String metric, double value, Double fp32, long samples) {
    @JsonValue
    Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("epoch", epoch);
      m.put("step", step);
      m.put(metric, value);
      if (fp32 != null) {
        m.put("fp32_" + metric, fp32);
      }
      m.put("samples", samples);
      return m;
    }
  }

  /** One trained weight as exported. */
  public record Layer(String name, String op, String weight, String quantization, Double sqnrDb) {}

  /** How much ran, and how fast. */
  public record Totals(long steps, long stepsPerEpoch, long trainingSamples, int validationSamples, long batchSize,
      long microBatchSize, int partitions, long trainedParameters, long resumedFromStep, double seconds,
      Double trainingSamplesPerSecond) {}

  static QatReport of(WeightQuantizer.Plan plan, QatJob.Result result, double seconds, Provenance provenance) {
    List<Layer> layers = plan.layers().stream().map(l -> new Layer(l.node(), l.op(), l.weight(), l.spec(),
        Double.isInfinite(l.sqnrDb()) ? null : ReportVersion.round2(l.sqnrDb()))).toList();
    TrainingHistory h = result.history();
    List<LossPoint> losses = h.losses().stream()
        .map(p -> new LossPoint(p.step() + 1, p.epoch() + 1, p.loss(), p.lr())).toList();
    List<Validation> validations = h.validations().stream()
        .map(v -> new Validation(v.epoch(), v.step(), v.metric(), v.value(), v.fp32(), v.samples())).toList();
    Totals totals = new Totals(result.state().step(), result.plan().stepsPerEpoch(), result.plan().samples(),
        result.validationSamples(), result.plan().batchSize(), result.plan().microBatchSize(), result.partitions(),
        result.trainer().trainables().parameterCount(), result.resumedFrom(), ReportVersion.round2(seconds),
        result.seconds() > 0 ? ReportVersion.round2(result.samplesTrained() / result.seconds()) : null);
    return new QatReport(ReportVersion.CURRENT, "qat", Training.of(result.trainer().options()), losses, validations,
        layers, totals, provenance);
  }
}
