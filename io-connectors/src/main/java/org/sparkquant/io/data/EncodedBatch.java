package org.sparkquant.io.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkquant.core.exec.EngineArrays;
import org.sparkquant.core.graph.Tensor;

/**
 * One batch of model inputs.
 *
 * @param inputs tensors by model input name, in a stable order
 * @param observeMask for token inputs, an INT64 {@code [batch, seq]} tensor with 1 at real tokens and 0 at padding, so
 *     that observers can leave padded positions out; null when every position is real (images, tabular rows)
 * @param labels the samples' class indexes, INT64 {@code [batch]}, when the data has labels
 *     ({@link DataConfig#labels}); else null
 */
public record EncodedBatch(Map<String, Tensor> inputs, Tensor observeMask, Tensor labels) {
  public EncodedBatch {
    inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
  }

  /** A batch without labels. */
  public EncodedBatch(Map<String, Tensor> inputs, Tensor observeMask) {
    this(inputs, observeMask, null);
  }

  /** The inputs as engine arrays owned by {@code m}. */
  public Map<String, NDArray> arrays(NDManager m) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    inputs.forEach((name, t) -> out.put(name, EngineArrays.toArray(m, t)));
    return out;
  }

  /** The observe mask as an engine array owned by {@code m}, or null when there is none. */
  public NDArray maskArray(NDManager m) {
    return observeMask == null ? null : EngineArrays.toArray(m, observeMask);
  }

  /** The labels as an engine array owned by {@code m}, or null when there are none. */
  public NDArray labelArray(NDManager m) {
    return labels == null ? null : EngineArrays.toArray(m, labels);
  }
}
