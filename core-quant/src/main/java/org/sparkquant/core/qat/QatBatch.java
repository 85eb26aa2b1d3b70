package org.sparkquant.core.qat;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * One micro-batch: the model's inputs, the token mask ({@code [batch, tokens]}, 1 at real tokens; null where every
 * position is real), the labels ({@code [batch]}, for the {@link QatLoss#CE} loss; else null) and, optionally, the
 * FP32 teacher's first output for it ({@link TeacherCache}; null to compute it with the batch). The arrays stay the
 * caller's.
 */
public record QatBatch(Map<String, NDArray> inputs, NDArray tokenMask, NDArray labels, NDArray teacher) {
  public QatBatch {
    if (inputs.isEmpty()) {
      throw new IllegalArgumentException("a batch needs at least one input");
    }
    inputs = Map.copyOf(inputs);
  }

  /** A batch whose teacher output is computed with it. */
  public QatBatch(Map<String, NDArray> inputs, NDArray tokenMask, NDArray labels) {
    this(inputs, tokenMask, labels, null);
  }

  /** This batch with the teacher output {@code t}. */
  public QatBatch withTeacher(NDArray t) {
    return new QatBatch(inputs, tokenMask, labels, t);
  }

  /** Samples in the batch (the first axis of its first input). */
  public long size() {
    return inputs.values().iterator().next().getShape().get(0);
  }
}
