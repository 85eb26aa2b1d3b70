package org.sparkquant.core.exec;

import ai.djl.ndarray.NDArray;

/**
 * Replaces a value during a run, before any consumer sees it (fake-quant attaches here). Applied to node outputs,
 * graph inputs and constants alike, on every run, without changing the graph.
 */
@FunctionalInterface
public interface ValueTransform {
  NDArray apply(String valueName, NDArray value);
}
