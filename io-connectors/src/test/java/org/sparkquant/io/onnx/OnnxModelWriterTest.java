package org.sparkquant.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
