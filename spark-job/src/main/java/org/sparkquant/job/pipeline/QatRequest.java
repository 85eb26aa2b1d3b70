package org.sparkquant.job.pipeline;

/**
 * The training settings of {@code qat}, checked as they are built.
 *
 * @param microBatchSize samples per gradient computation
 * @param epochs epochs over the training samples, or null ({@code steps} or the default of 3)
 * @param steps optimizer steps instead of epochs, or null
 * @param lr peak learning rate
 * @param optimizer {@code sgd} or {@code adamw}
 * @param momentum SGD momentum
 * @param weightDecay weight decay of the quantized weights
 * @param warmupSteps steps of linear warmup
 * @param schedule {@code cosine} or {@code constant}
 * @param loss {@code distill}, {@code distill-cosine}, {@code distill-mse}, {@code distill-kl} or {@code ce}
 * @param learnableScales learn the weight scales, and the activation scales once the observers freeze
 * @param freezeObserversAfter steps during which activation observers gather ranges, or null for all
 * @param freezeBnAfter steps during which BatchNormalization parameters train, or null for all
 * @param validationFraction share of the samples held out for validation
 * @param checkpointEvery steps between checkpoints besides those after every epoch and at the end
 * @param checkpointDir the checkpoint directory on any Hadoop file system, or null for {@code OUTPUT.checkpoints}
 * @param resume continue the run whose checkpoints are in the checkpoint directory
 * @param resumeIfPresent continue from the checkpoint directory when it holds a checkpoint, else start
 */
public record QatRequest(int microBatchSize, Integer epochs, Long steps, double lr, String optimizer, double momentum,
    double weightDecay, long warmupSteps, String schedule, String loss, boolean learnableScales,
    Long freezeObserversAfter, Long freezeBnAfter, double validationFraction, long checkpointEvery,
    String checkpointDir, boolean resume, boolean resumeIfPresent) {
  public QatRequest {
    if (resume && resumeIfPresent) {
      throw new UsageError("give --resume or --resume-if-present, not both");
    }
    UsageError.positive("--micro-batch-size", microBatchSize);
    if (epochs != null && steps != null) {
      throw new UsageError("give --epochs or --steps, not both");
    }
    if (epochs != null) {
      UsageError.positive("--epochs", epochs);
    }
    if (steps != null) {
      UsageError.positive("--steps", steps);
    }
    if (!(lr > 0) || Double.isInfinite(lr)) {
      throw new UsageError("--lr: expected a positive number, found " + lr);
    }
    if (momentum < 0 || momentum >= 1) {
      throw new UsageError("--momentum: expected a number in [0, 1), found " + momentum);
    }
    if (weightDecay < 0) {
      throw new UsageError("--weight-decay: expected a number >= 0, found " + weightDecay);
    }
    if (warmupSteps < 0 || checkpointEvery < 0) {
      throw new UsageError("--warmup-steps and --checkpoint-every must be >= 0");
    }
    if (freezeObserversAfter != null && freezeObserversAfter < 1) {
      throw new UsageError("--freeze-observers-after: expected a positive number, found " + freezeObserversAfter);
    }
    if (freezeBnAfter != null && freezeBnAfter < 0) {
      throw new UsageError("--freeze-bn-after: expected a number >= 0, found " + freezeBnAfter);
    }
    if (validationFraction < 0 || validationFraction >= 1) {
      throw new UsageError("--validation-fraction: expected a number in [0, 1), found " + validationFraction);
    }
  }
}
