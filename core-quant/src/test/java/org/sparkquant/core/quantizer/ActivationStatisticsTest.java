package org.sparkquant.core.quantizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;
import org.sparkquant.core.numerics.QuantParams;

class ActivationStatisticsTest {
  /** A toy text model: token ids → embedding (token t embeds to t in every feature) → MatMul. */
  static Graph textModel() {
    float[] table = new float[10 * 4];
    for (int t = 0; t < 10; t++) {
      java.util.Arrays.fill(table, t * 4, t * 4 + 4, t);
    }
    float[] w = new float[4 * 3];
    for (int i = 0; i < w.length; i++) {
      w[i] = (i % 5 - 2) / 4f;
    }
    return Graph.builder()
        .opset("", 17)
        .addInput(new ValueInfo("input_ids", DataType.INT64, List.of(Dim.symbolic("b"), Dim.symbolic("s"))))
        .addConstant("table", Tensor.ofFloats(new long[] {10, 4}, table))
        .addConstant("w", Tensor.ofFloats(new long[] {4, 3}, w))
        .addNode(Node.of("embed", "Gather", List.of("table", "input_ids"), List.of("e")))
        .addNode(Node.of("proj", "MatMul", List.of("e", "w"), List.of("y")))
        .addOutput(new ValueInfo("y", DataType.FLOAT, null))
        .build();
  }

  private static PreparedModel prepare() {
    return new Quantizer(textModel(), QuantizerConfig.preset("w8a8")).prepare();
  }

  private static float[] observedRange(PreparedModel m) {
    PreparedModel.ActivationReport r = m.activationReports().get(0);
    return new float[] {r.observedMin(), r.observedMax()};
  }

  @Test
  void paddedPositionsAreLeftOutOfTheStatistics() {
    try (NDManager nd = NDManager.newBaseManager(); PreparedModel m = prepare()) {
      // token 9 sits only at padded positions
      NDArray ids = nd.create(new long[] {1, 2, 9, 3, 4, 5}, new Shape(2, 3));
      NDArray mask = nd.create(new long[] {1, 1, 0, 1, 1, 1}, new Shape(2, 3));
      try (PreparedModel.Mode c = m.calibrationMode()) {
        m.observe(Map.of("input_ids", ids), mask).close();
      }
      assertEquals(1f, observedRange(m)[0]);
      assertEquals(5f, observedRange(m)[1]);
      assertEquals(2, m.statistics().samples());
    }
  }

  /**
   * Values whose batch axis is not first ({@code [s, b, 4]}) and with two position axes (token-by-token scores
   * {@code [b, s, s]}, which a MatMul consumes), as well as the usual {@code [b, s, 4]}.
   */
  static Graph textModelWithOtherLayouts() {
    Graph g = textModel();
    return g.toBuilder()
        .addNode(Node.of("et", "Transpose", List.of("e"), List.of("e_t"),
            org.sparkquant.core.graph.Attribute.of("perm", 0L, 2L, 1L)))
        .addNode(Node.of("scores", "MatMul", List.of("e", "e_t"), List.of("s")))
        .addNode(Node.of("mix", "MatMul", List.of("s", "e"), List.of("m")))
        .addNode(Node.of("sb", "Transpose", List.of("e"), List.of("e_sb"),
            org.sparkquant.core.graph.Attribute.of("perm", 1L, 0L, 2L)))
        .addNode(Node.of("proj_sb", "MatMul", List.of("e_sb", "w"), List.of("y_sb")))
        .addOutput(new ValueInfo("m", DataType.FLOAT, null))
        .addOutput(new ValueInfo("y_sb", DataType.FLOAT, null))
        .build();
  }

  @Test
  void paddedPositionsAreLeftOutWhateverTheAxesOfTheValue() {
    QuantizerConfig eager = QuantizerConfig.preset("w8a8").withMode(QuantizerConfig.ExecutionMode.EAGER);
    try (NDManager nd = NDManager.newBaseManager();
        PreparedModel single = new Quantizer(textModelWithOtherLayouts(), eager).prepare();
        PreparedModel padded = new Quantizer(textModelWithOtherLayouts(), eager).prepare()) {
      try (PreparedModel.Mode c = single.calibrationMode()) {
        single.observe(Map.of("input_ids", nd.create(new long[] {1, 2}, new Shape(1, 2))), null).close();
        single.observe(Map.of("input_ids", nd.create(new long[] {3, 4, 5}, new Shape(1, 3))), null).close();
      }
      try (PreparedModel.Mode c = padded.calibrationMode()) {
        // token 9 sits only at the padded position
        NDArray ids = nd.create(new long[] {1, 2, 9, 3, 4, 5}, new Shape(2, 3));
        NDArray mask = nd.create(new long[] {1, 1, 0, 1, 1, 1}, new Shape(2, 3));
        padded.observe(Map.of("input_ids", ids), mask).close();
      }
      List<PreparedModel.ActivationReport> a = single.activationReports();
      List<PreparedModel.ActivationReport> b = padded.activationReports();
      assertEquals(a.size(), b.size());
      assertTrue(b.stream().anyMatch(r -> r.value().equals("s")), "scores are quantized: " + b);
      assertTrue(b.stream().anyMatch(r -> r.value().equals("e_sb")), "[s, b, 4] values are quantized: " + b);
      for (int i = 0; i < a.size(); i++) {
        assertEquals(a.get(i).value(), b.get(i).value());
        assertEquals(a.get(i).observedMin(), b.get(i).observedMin(), a.get(i).value());
        assertEquals(a.get(i).observedMax(), b.get(i).observedMax(), a.get(i).value());
      }
    }
  }

  @Test
  void withoutAMaskEveryPositionIsObserved() {
    try (NDManager nd = NDManager.newBaseManager(); PreparedModel m = prepare()) {
      NDArray ids = nd.create(new long[] {1, 2, 9, 3, 4, 5}, new Shape(2, 3));
      try (PreparedModel.Mode c = m.calibrationMode()) {
        m.observe(Map.of("input_ids", ids), null).close();
      }
      assertEquals(9f, observedRange(m)[1]);
    }
  }

  @Test
  void statisticsOfShardsMergeIntoThoseOfTheWholeData() {
    try (NDManager nd = NDManager.newBaseManager();
        PreparedModel whole = prepare();
        PreparedModel a = prepare();
        PreparedModel b = prepare();
        PreparedModel merged = prepare()) {
      NDArray first = nd.create(new long[] {1, 2, 3}, new Shape(1, 3));
      NDArray second = nd.create(new long[] {7, 0, 4, 2, 2, 2}, new Shape(2, 3));
      try (PreparedModel.Mode c = whole.calibrationMode()) {
        whole.observe(Map.of("input_ids", first), null).close();
        whole.observe(Map.of("input_ids", second), null).close();
      }
      try (PreparedModel.Mode c = a.calibrationMode()) {
        a.observe(Map.of("input_ids", first), null).close();
      }
      try (PreparedModel.Mode c = b.calibrationMode()) {
        b.observe(Map.of("input_ids", second), null).close();
      }
      merged.addStatistics(b.statistics());
      merged.addStatistics(a.statistics());
      QuantParams expected = whole.activationReports().get(0).params();
      assertEquals(expected, merged.activationReports().get(0).params());
      assertEquals(3, merged.statistics().samples());
      assertEquals(whole.statistics().groups(), merged.statistics().groups());
    }
  }

  @Test
  void resetForgetsEverythingObserved() {
    try (NDManager nd = NDManager.newBaseManager(); PreparedModel m = prepare()) {
      try (PreparedModel.Mode c = m.calibrationMode()) {
        m.observe(Map.of("input_ids", nd.create(new long[] {9}, new Shape(1, 1))), null).close();
        m.resetStatistics();
        m.observe(Map.of("input_ids", nd.create(new long[] {2}, new Shape(1, 1))), null).close();
      }
      assertEquals(2f, observedRange(m)[1]);
      assertEquals(1, m.statistics().samples());
      assertTrue(m.activationReports().get(0).clippedFraction() == 0);
    }
  }

  @Test
  void observingOutsideCalibrationIsAnError() {
    try (NDManager nd = NDManager.newBaseManager(); PreparedModel m = prepare()) {
      NDArray ids = nd.create(new long[] {1}, new Shape(1, 1));
      assertThrows(IllegalStateException.class, () -> m.observe(Map.of("input_ids", ids), null));
    }
  }
}
