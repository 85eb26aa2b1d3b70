package org.sparkquant.core.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.sparkquant.core.graph.Graph;

/**
 * Executes a graph. Implementations own the graph's constants as engine arrays for their whole life and use a fresh
 * child manager for every run, so a run leaves nothing behind but the outputs it hands to the caller's manager.
 */
public interface GraphExecutor extends AutoCloseable {

  Graph graph();

  /**
   * Runs the graph.
   *
   * @param outputManager manager that will own the returned arrays
   * @param inputs arrays by graph input name; they stay owned by the caller
   * @return graph outputs in declaration order
   */
  NDList run(NDManager outputManager, Map<String, NDArray> inputs);

  /** Observes every value of every run until the returned handle is closed. */
  Registration addListener(ValueListener listener);

  /** Replaces value {@code valueName} in every run until the returned handle is closed. */
  Registration setTransform(String valueName, ValueTransform transform);

  /** The engine array holding constant {@code name}; owned by the executor. */
  NDArray constant(String name);

  /** Makes gradients flow to these constants when runs happen under a gradient collector. */
  void requireGradient(Iterable<String> constantNames);

  @Override
  void close();

  /** Handle that undoes a registration. */
  interface Registration extends AutoCloseable {
    @Override
    void close();
  }
}
