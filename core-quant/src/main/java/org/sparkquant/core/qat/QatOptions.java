package org.sparkquant.core.qat;

import java.util.Objects;

/**
 * How a model is trained.
 *
 * @param weightScales where the weights' quantization scales come from
 * @param learnActivationScales whether activation scales are learned (LSQ) once the observers freeze
 * @param loss what is minimised
 * @param optimizer the optimizer's settings
 * @param schedule the learning rate per step
 * @param freezeObserversAfter steps during which activation observers gather statistics; from this step on the
 *     activation parameters stay fixed (or, with learned scales, train)
 * @param freezeBatchNormAfter steps during which the scale and bias of BatchNormalization nodes (kept in eager mode)
 *     train; their running statistics are the model's own throughout
 * @param trainVectors whether biases and normalization parameters train along with the quantized weights
 */
public record QatOptions(WeightScales weightScales, boolean learnActivationScales, QatLoss loss,
    Optimizer.Config optimizer, LrSchedule schedule, long freezeObserversAfter, long freezeBatchNormAfter,
    boolean trainVectors) implements java.io.Serializable {

  /** Where weight scales come from. */
  public enum WeightScales {
    /** Recomputed from the current weights at every step (min/max per scale position), straight-through gradients. */
    RANGE,
    /** Fixed at the parameters the model was prepared with (round to nearest of the initial weights, or GPTQ's). */
    PLANNED,
    /** Learned with LSQ (Esser et al.), starting from the planned parameters. */
    LEARNED
  }

  public QatOptions {
    Objects.requireNonNull(weightScales, "weightScales");
    Objects.requireNonNull(loss, "loss");
    Objects.requireNonNull(optimizer, "optimizer");
    Objects.requireNonNull(schedule, "schedule");
    if (freezeObserversAfter < 0 || freezeBatchNormAfter < 0) {
      throw new IllegalArgumentException("freeze steps must be >= 0");
    }
  }

  /**
   * AdamW at {@code lr} with a cosine schedule over {@code steps} (no warmup), ranges recomputed each step, observers
   * and BatchNorm never frozen, biases and norms trained.
   */
  public static QatOptions defaults(QatLoss loss, double lr, long steps) {
    return new QatOptions(WeightScales.RANGE, false, loss, Optimizer.Config.adamW(),
        new LrSchedule(lr, 0, steps, LrSchedule.Kind.COSINE), Long.MAX_VALUE, Long.MAX_VALUE, true);
  }

  public QatOptions withWeightScales(WeightScales s) {
    return new QatOptions(s, learnActivationScales, loss, optimizer, schedule, freezeObserversAfter,
        freezeBatchNormAfter, trainVectors);
  }

  public QatOptions withLearnedActivationScales(boolean learn) {
    return new QatOptions(weightScales, learn, loss, optimizer, schedule, freezeObserversAfter,
        freezeBatchNormAfter, trainVectors);
  }

  public QatOptions withOptimizer(Optimizer.Config o) {
    return new QatOptions(weightScales, learnActivationScales, loss, o, schedule, freezeObserversAfter,
        freezeBatchNormAfter, trainVectors);
  }

  public QatOptions withSchedule(LrSchedule s) {
    return new QatOptions(weightScales, learnActivationScales, loss, optimizer, s, freezeObserversAfter,
        freezeBatchNormAfter, trainVectors);
  }

  public QatOptions withFreezeObserversAfter(long steps) {
    return new QatOptions(weightScales, learnActivationScales, loss, optimizer, schedule, steps,
        freezeBatchNormAfter, trainVectors);
  }

  public QatOptions withFreezeBatchNormAfter(long steps) {
    return new QatOptions(weightScales, learnActivationScales, loss, optimizer, schedule, freezeObserversAfter,
        steps, trainVectors);
  }

  public QatOptions withTrainVectors(boolean train) {
    return new QatOptions(weightScales, learnActivationScales, loss, optimizer, schedule, freezeObserversAfter,
        freezeBatchNormAfter, train);
  }
}
