package org.sparkquant.core.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.ValueInfo;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;

class OnnxQdqExporterTest {
  @Test
  void activationQuantizerBecomesQuantizeThenDequantizeWithItsParameters() {
    Graph g = Graph.builder().opset("", 13)
        .addInput(new ValueInfo("x", DataType.FLOAT, List.of(Dim.of(2))))
        .addNode(Node.of(FrozenQuantization.quantizerNode("x"), "Identity", List.of("x"),
            List.of(FrozenQuantization.dequantized("x"))))
        .addNode(Node.of("relu", "Relu", List.of(FrozenQuantization.dequantized("x")), List.of("y")))
        .addOutput(new ValueInfo("y", DataType.FLOAT, List.of(Dim.of(2))))
        .build();
    QuantParams p = QuantParams.perTensor(QuantType.UINT8, 0.25f, 128);
    Graph out = new OnnxQdqExporter().export(new FrozenQuantization(g, Map.of(), Map.of(), Map.of("x", p), Map.of()));
    assertEquals(List.of("QuantizeLinear", "DequantizeLinear", "Relu"),
        out.nodes().stream().map(Node::opType).toList());
    assertArrayEquals(new float[] {0.25f}, out.constants().get("x_scale").floats());
  }
}
