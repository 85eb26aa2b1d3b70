package org.sparkquant.core.exec;

import ai.djl.ndarray.NDArray;
import org.sparkquant.core.graph.Node;

/**
 * Observes values as a run computes them (calibration observers attach here). The array belongs to the run and is
 * closed when the run ends: copy what must outlive the call.
 */
@FunctionalInterface
public interface ValueListener {
  /**
   * @param producer the node that computed the value, or null for graph inputs and constants
   * @param valueName the value's name
   * @param value the value, after any transform
   */
  void onValue(Node producer, String valueName, NDArray value);
}
