package org.sparkquant.core.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;
import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.Scheme;
import org.sparkquant.core.quantizer.WeightQuantizer;
import org.sparkquant.core.quantizer.WeightSpec;

/**
 * The passes that store weights quantized write their nodes and constants in the order of the weights they are
 * given, so that the same model comes out byte for byte in every JVM (immutable {@code Map.copyOf} maps iterate in
 * an order that changes from JVM to JVM).
 */
class QuantizedWeightsPassTest {
  private static final int WEIGHTS = 24;

  /** x → MatMul(w00) → MatMul(w01) → ... with 16×16 weights. */
  private static Graph chain() {
    Random r = new Random(3);
    Graph.Builder b = Graph.builder().opset("", 17)
        .addInput(new ValueInfo("x", DataType.FLOAT, List.of(Dim.of(1), Dim.of(16))));
    String in = "x";
    for (int i = 0; i < WEIGHTS; i++) {
      float[] w = new float[256];
      for (int j = 0; j < w.length; j++) {
        w[j] = (float) r.nextGaussian();
      }
      String name = String.format("w%02d", i);
      b.addConstant(name, Tensor.ofFloats(new long[] {16, 16}, w));
      b.addNode(Node.of("mm" + i, "MatMul", List.of(in, name), List.of("y" + i)));
      in = "y" + i;
    }
    return b.addOutput(new ValueInfo(in, DataType.FLOAT, null)).build();
  }

  /** Parameters for every weight, in reverse order of the graph's constants. */
  private static Map<String, QuantParams> reversed(Graph g, WeightSpec spec, Granularity granularity) {
    Map<String, QuantParams> params = new LinkedHashMap<>();
    for (int i = WEIGHTS - 1; i >= 0; i--) {
      String name = String.format("w%02d", i);
      params.put(name, WeightQuantizer.rangeParams(g.constants().get(name), spec, granularity));
    }
    return params;
  }

  @Test
  void dequantizeNodesAndConstantsFollowTheOrderOfTheGivenWeights() {
    Graph g = chain();
    Map<String, QuantParams> params = reversed(g,
        new WeightSpec(QuantType.INT8, Scheme.SYMMETRIC, WeightSpec.Layout.PER_TENSOR, 0), new Granularity.PerTensor());
    Graph out = new QuantizedWeights(params).apply(g);
    List<String> dequantized = new ArrayList<>();
    out.nodes().stream().filter(n -> n.opType().equals("DequantizeLinear")).forEach(n -> dequantized.add(
        n.outputs().get(0)));
    assertEquals(new ArrayList<>(params.keySet()), dequantized);
    assertEquals(new ArrayList<>(params.keySet()), out.constants().keySet().stream()
        .filter(k -> k.endsWith("_quantized")).map(k -> k.substring(0, k.length() - "_quantized".length())).toList());
  }

  @Test
  void matMulNBitsConstantsFollowTheOrderOfTheGivenWeights() {
    Graph g = chain();
    Map<String, QuantParams> params = reversed(g,
        new WeightSpec(QuantType.INT4, Scheme.SYMMETRIC, WeightSpec.Layout.PER_BLOCK, 16),
        new Granularity.PerBlock(0, 16));
    Graph out = new MatMulNBitsWeights(params).apply(g);
    assertEquals(new ArrayList<>(params.keySet()), out.constants().keySet().stream()
        .filter(k -> k.endsWith("_nbits")).map(k -> k.substring(0, k.length() - "_nbits".length())).toList());
  }
}
