package org.sparkquant.job.qat;

import java.util.Arrays;

/**
 * The canonical group in which the FP32 teacher's output for a training sample is computed (see
 * {@link org.sparkquant.core.qat.TeacherCache}): the micro-batch of the plan's first epoch that holds the sample. It
 * depends on the plan alone, not on the partitioning, so every worker computes a sample's target with the same bits;
 * and in the first epoch each micro-batch is its own samples' group, so the targets cost one teacher pass there.
 */
final class TeacherGroups {
  private final TrainingPlan plan;
  private final int[] order;
  private final int[] position;

  TeacherGroups(TrainingPlan plan) {
    this.plan = plan;
    this.order = plan.permutation(0);
    this.position = new int[order.length];
    for (int i = 0; i < order.length; i++) {
      position[order[i]] = i;
    }
  }

  TrainingPlan plan() {
    return plan;
  }

  /** The samples of the group that holds training sample {@code sample}. */
  int[] group(int sample) {
    int pos = position[sample];
    int g = plan.batchSize();
    int m = plan.microBatchSize();
    int stepStart = pos / g * g;
    int start = stepStart + (pos - stepStart) / m * m;
    int end = Math.min(Math.min(start + m, stepStart + g), order.length);
    return Arrays.copyOfRange(order, start, end);
  }
}
