package org.sparkquant.core.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;

/**
 * Where NaN or infinite values enter a run: the first node, in execution order, whose output holds some although
 * every input it reads is finite. That node is either an engine fault or a genuine overflow; every non-finite value
 * after it only inherits them. Costs one more run, so it is asked only after non-finite values were seen.
 */
public final class NonFiniteOrigin {
  private NonFiniteOrigin() {}

  /** Stops the run at the origin. */
  private static final class Found extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Found(String where) {
      super(where, null, false, false);
    }
  }

  /**
   * Runs {@code graph} (plain, without transforms) on {@code inputs} and describes where non-finite values first
   * appear, or empty when the run stays finite.
   */
  public static Optional<String> find(Graph graph, Map<String, NDArray> inputs) {
    Set<String> nonFinite = new HashSet<>();
    try (DjlExecutor exec = new DjlExecutor(graph);
        NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE);
        GraphExecutor.Registration r = exec.addListener((node, name, value) -> {
          if (!isNonFinite(value)) {
            return;
          }
          nonFinite.add(name);
          if (node == null) {
            if (!graph.constants().containsKey(name)) {
              throw new Found("the model input '" + name + "' holds NaN or infinite values");
            }
          } else if (node.inputs().stream().noneMatch(nonFinite::contains)) {
            throw new Found(describe(node, name));
          }
        })) {
      exec.run(m, inputs);
      return Optional.empty();
    } catch (Found f) {
      return Optional.of(f.getMessage());
    }
  }

  private static String describe(Node node, String output) {
    return "the first NaN or infinite values computed from finite inputs are in '" + output + "', the output of "
        + node.describe() + " (an engine fault or a genuine overflow)";
  }

  private static boolean isNonFinite(NDArray v) {
    if (!v.getDataType().isFloating()) {
      return false;
    }
    try (NDArray inf = v.isInfinite(); NDArray nan = v.isNaN(); NDArray bad = inf.logicalOr(nan);
        NDArray any = bad.any()) {
      return any.getBoolean();
    }
  }
}
