package org.sparkquant.core.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;

class NonFiniteOriginTest {
  /** x · 1e30 · 1e30 → Relu → + 1: the second product overflows, everything after it inherits the infinities. */
  private static Graph overflowing() {
    return Graph.builder().opset("", 17)
        .addInput(new ValueInfo("x", DataType.FLOAT, List.of(Dim.of(2), Dim.of(3))))
        .addConstant("big", Tensor.ofFloats(new long[0], 1e30f))
        .addConstant("one", Tensor.ofFloats(new long[0], 1f))
        .addNode(Node.of("first", "Mul", List.of("x", "big"), List.of("a")))
        .addNode(Node.of("second", "Mul", List.of("a", "big"), List.of("b")))
        .addNode(Node.of("relu", "Relu", List.of("b"), List.of("c")))
        .addNode(Node.of("plus", "Add", List.of("c", "one"), List.of("y")))
        .addOutput(new ValueInfo("y", null, null))
        .build();
  }

  @Test
  void theFirstNodeThatOverflowsOnFiniteInputsIsNamed() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.create(new float[] {1, -2, 3, 0.5f, 0, 4}, new ai.djl.ndarray.types.Shape(2, 3));
      Optional<String> origin = NonFiniteOrigin.find(overflowing(), Map.of("x", x));
      assertTrue(origin.isPresent());
      assertEquals("the first NaN or infinite values computed from finite inputs are in 'b', the output of"
          + " node 'second' (Mul) (an engine fault or a genuine overflow)", origin.get());
    }
  }

  @Test
  void nonFiniteModelInputsAreNamedAsSuch() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.create(new float[] {1, Float.NaN, 0, 0, 0, 0}, new ai.djl.ndarray.types.Shape(2, 3));
      assertEquals(Optional.of("the model input 'x' holds NaN or infinite values"),
          NonFiniteOrigin.find(overflowing(), Map.of("x", x)));
    }
  }

  @Test
  void aFiniteRunHasNoOrigin() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.create(new float[] {1e-31f, 0, 0, 0, 0, 0}, new ai.djl.ndarray.types.Shape(2, 3));
      assertEquals(Optional.empty(), NonFiniteOrigin.find(overflowing(), Map.of("x", x)));
    }
  }
}
