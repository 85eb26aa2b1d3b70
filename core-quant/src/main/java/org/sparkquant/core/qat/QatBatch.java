package org.sparkquant.core.qat;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * One micro-batch: the model's inputs, the token mask ({@code [batch, tokens]}, 1 at real tokens; null where every
 * position is real) and the labels ({@code [batch]}, for the {@link QatLoss#CE} loss; else null). The arrays stay the
 * caller's.
 */
public record QatBatch(Map<String, NDArray> inputs, NDArray tokenMask, NDArray labels) {
  public QatBatch {
    if (inputs.isEmpty()) {
      throw new IllegalArgumentException("a batch needs at least one input");
    }
    inputs = Map.copyOf(inputs);
  }

  /** Samples in the batch (the first axis of its first input). */
  public long size() {
    return inputs.values().iterator().next().getShape().get(0);
  }
}
