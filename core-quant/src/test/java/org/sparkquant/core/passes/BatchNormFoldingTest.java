package org.sparkquant.core.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;

class BatchNormFoldingTest {
  private static float[] random(Random r, int n, float offset) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian() + offset;
    }
    return a;
  }

  /** x → op(x, w[, b]) → BatchNormalization → Relu, with 4 output channels. */
  private static Graph convBn(String op, boolean bias, int group) {
    Random r = new Random(op.hashCode() + (bias ? 1 : 0) + group);
    long[] ws = op.equals("Conv") ? new long[] {4, 6 / group, 3, 3} : new long[] {6, 4 / group, 2, 2};
    Graph.Builder b = Graph.builder().opset("", 17)
        .addInput(new ValueInfo("x", DataType.FLOAT, List.of(Dim.of(2), Dim.of(6), Dim.of(8), Dim.of(8))))
        .addConstant("w", Tensor.ofFloats(ws, random(r, (int) Tensor.numElements(ws), 0)))
        .addConstant("gamma", Tensor.ofFloats(new long[] {4}, random(r, 4, 1)))
        .addConstant("beta", Tensor.ofFloats(new long[] {4}, random(r, 4, 0)))
        .addConstant("mean", Tensor.ofFloats(new long[] {4}, random(r, 4, 0)))
        .addConstant("var", Tensor.ofFloats(new long[] {4}, new float[] {0.5f, 1.5f, 2f, 0.1f}));
    List<String> convIn = bias ? List.of("x", "w", "b") : List.of("x", "w");
    if (bias) {
      b.addConstant("b", Tensor.ofFloats(new long[] {4}, random(r, 4, 0)));
    }
    return b.addNode(Node.of("conv", op, convIn, List.of("c"), Attribute.of("group", (long) group)))
        .addNode(Node.of("bn", "BatchNormalization", List.of("c", "gamma", "beta", "mean", "var"), List.of("n"),
            Attribute.of("epsilon", 1e-3f)))
        .addNode(Node.of("relu", "Relu", List.of("n"), List.of("y")))
        .addOutput(new ValueInfo("y", DataType.FLOAT, null))
        .build();
  }

  private static float[] run(Graph g, float[] x) {
    try (DjlExecutor exec = new DjlExecutor(g);
        NDManager m = NDManager.newBaseManager()) {
      return exec.run(m, Map.of("x", m.create(x, new Shape(2, 6, 8, 8)))).get(0).toFloatArray();
    }
  }

  @Test
  void convFollowedByBatchNormBecomesOneConvWithTheSameOutputs() {
    float[] x = random(new Random(5), 2 * 6 * 8 * 8, 0);
    for (String op : new String[] {"Conv", "ConvTranspose"}) {
      for (boolean bias : new boolean[] {true, false}) {
        for (int group : op.equals("Conv") ? new int[] {1, 2} : new int[] {1}) {
          Graph g = convBn(op, bias, group);
          Graph folded = new BatchNormFolding().apply(g);
          assertEquals(List.of("conv", "relu"), folded.nodes().stream().map(Node::name).toList());
          Node conv = folded.nodes().get(0);
          assertEquals(List.of("x", "conv.weight_folded", "conv.bias_folded"), conv.inputs());
          assertEquals(List.of("n"), conv.outputs());
          assertTrue(!folded.constants().containsKey("gamma") && !folded.constants().containsKey("w"));
          float[] want = run(g, x);
          float[] got = run(folded, x);
          for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-4f * (1 + Math.abs(want[i])), op + " bias=" + bias + " group=" + group);
          }
        }
      }
    }
  }

  @Test
  void batchNormWhoseInputIsUsedElsewhereStays() {
    Graph g = convBn("Conv", true, 1);
    Graph shared = g.toBuilder().addOutput(new ValueInfo("c", DataType.FLOAT, null)).build();
    assertSame(shared, new BatchNormFolding().apply(shared));
  }
}
