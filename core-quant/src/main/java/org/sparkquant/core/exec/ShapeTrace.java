package org.sparkquant.core.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.ValueInfo;

/**
 * Learns the shape of every value by one trial run on zero-filled inputs. Dimensions the model leaves open take the
 * sizes given by the caller, else 1 for the first (batch) dimension and {@link #DEFAULT_DIM} for the others.
 */
public final class ShapeTrace {
  /** Size used for open non-batch dimensions when the caller gives none. */
  public static final long DEFAULT_DIM = 32;

  private ShapeTrace() {}

  /** The concrete input shapes a trial run uses: {@code given} where present, else filled-in declared shapes. */
  public static Map<String, long[]> inputShapes(List<ValueInfo> inputs, Map<String, long[]> given) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (ValueInfo in : inputs) {
      long[] s = given.get(in.name());
      if (s == null) {
        List<Dim> dims = in.dims() == null ? List.of() : in.dims();
        s = new long[dims.size()];
        for (int i = 0; i < s.length; i++) {
          s[i] = dims.get(i).isKnown() ? dims.get(i).size() : i == 0 ? 1 : DEFAULT_DIM;
        }
      }
      shapes.put(in.name(), s);
    }
    return shapes;
  }

  /** Runs once and returns the shape of every graph input, constant and node output. */
  public static Map<String, long[]> trace(GraphExecutor executor, Map<String, long[]> inputShapes) {
    Map<String, long[]> shapes = new HashMap<>();
    executor.graph().constants().forEach((k, t) -> shapes.put(k, t.shape()));
    try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE);
        GraphExecutor.Registration r =
            executor.addListener((node, name, value) -> shapes.put(name, value.getShape().getShape()))) {
      Map<String, NDArray> inputs = new HashMap<>();
      for (ValueInfo in : executor.graph().inputs()) {
        DataType t = in.dataType() == null ? DataType.FLOAT : in.dataType();
        inputs.put(in.name(), m.zeros(new Shape(inputShapes.get(in.name())), EngineArrays.toEngine(t)));
      }
      executor.run(m, inputs);
    }
    return shapes;
  }
}
