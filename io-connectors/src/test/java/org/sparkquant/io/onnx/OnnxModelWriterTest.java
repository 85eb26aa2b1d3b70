package org.sparkquant.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OnnxModelWriterTest {

  @Test
  void irVersionIsTheOneOnnxReleasedWithTheOpset() {
    // ONNX's release table (onnx.helper.VERSION_TABLE): opset -> IR version.
    long[][] table = {{13, 7}, {14, 7}, {15, 8}, {18, 8}, {19, 9}, {20, 9}, {21, 10}, {22, 10}, {23, 11}, {24, 12},
        {25, 13}, {26, 13}};
    for (long[] row : table) {
      assertEquals(row[1], OnnxModelWriter.irVersionFor(row[0]), "IR version for opset " + row[0]);
    }
  }

  @Test
  void modelBytesReadBackToTheSameGraph() throws Exception {
    org.sparkquant.core.graph.Graph g = new OnnxModelReader().read(TestModels.path(TestModels.OCR_CLS));
    byte[] bytes = new OnnxModelWriter().toBytes(g);
    org.sparkquant.core.graph.Graph back = new OnnxModelReader().read(bytes, "shipped");
    assertEquals(g.nodes().stream().map(n -> n.name() + ":" + n.opType() + n.inputs() + n.outputs()).toList(),
        back.nodes().stream().map(n -> n.name() + ":" + n.opType() + n.inputs() + n.outputs()).toList());
    assertEquals(g.constants().keySet(), back.constants().keySet());
    var e = assertThrows(org.sparkquant.core.graph.ModelFormatException.class,
        () -> new OnnxModelReader().read(new byte[] {1, 2, 3}, "shipped"));
    assertTrue(e.getMessage().startsWith("model 'shipped'"), e.getMessage());
  }
}
