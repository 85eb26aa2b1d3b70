package org.sparkquant.core.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.ValueInfo;

class ExportersTest {
  @Test
  void everyBackendHasAnExporter() {
    for (Backend b : Backend.values()) {
      assertNotNull(Exporters.of(b), b.name());
    }
  }

  @Test
  void onnxQdqWritesTheMetadataItIsGiven() {
    Graph g = Graph.builder().opset("", 17)
        .addInput(new ValueInfo("x", DataType.FLOAT, List.of(Dim.of(1))))
        .addNode(Node.of("relu", "Relu", List.of("x"), List.of("y")))
        .addOutput(new ValueInfo("y", DataType.FLOAT, List.of(Dim.of(1))))
        .build();
    Graph out = Exporters.of(Backend.ONNX_QDQ).export(
        new FrozenQuantization(g, Map.of(), Map.of(), Map.of(), Map.of("sparkquant.preset", "w8")));
    assertEquals("w8", out.metadata().get("sparkquant.preset"));
    assertEquals(g.nodes(), out.nodes());
  }
}
