package org.sparkquant.job.qat;

import java.util.ArrayList;
import java.util.List;

/**
 * What a run has measured so far: the mean training loss of every step and the validation metric after every epoch
 * (and of the starting point). Saved with each checkpoint, so that a resumed run reports the whole curve.
 *
 * @param fingerprint identifies the run's settings and data; a checkpoint resumes only a run with the same one
 * @param losses one point per step applied
 * @param validations one point per validation
 */
public record TrainingHistory(String fingerprint, List<LossPoint> losses, List<ValidationPoint> validations) {
  /** A step's mean loss over its samples, and the learning rate it was applied with. */
  public record LossPoint(long step, long epoch, double loss, double lr) {}

  /**
   * The validation metric of the model after {@code step} steps ({@code epoch} epochs done), over {@code samples}
   * validation samples.
   *
   * @param fp32 the FP32 model's value of a metric measured against labels, on the same samples (at the start of a
   *     run); null otherwise
   */
  public record ValidationPoint(long epoch, long step, String metric, double value, long samples, Double fp32) {}

  public TrainingHistory {
    losses = List.copyOf(losses);
    validations = List.copyOf(validations);
  }

  /** No steps, no validations. */
  public static TrainingHistory start(String fingerprint) {
    return new TrainingHistory(fingerprint, List.of(), List.of());
  }

  public TrainingHistory with(LossPoint p) {
    List<LossPoint> l = new ArrayList<>(losses);
    l.add(p);
    return new TrainingHistory(fingerprint, l, validations);
  }

  public TrainingHistory with(ValidationPoint p) {
    List<ValidationPoint> v = new ArrayList<>(validations);
    v.add(p);
    return new TrainingHistory(fingerprint, losses, v);
  }

  /** Whether the model after {@code step} steps was validated. */
  public boolean validated(long step) {
    return validations.stream().anyMatch(v -> v.step() == step);
  }
}
