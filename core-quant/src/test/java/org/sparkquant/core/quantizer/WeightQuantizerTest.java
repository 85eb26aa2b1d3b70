package org.sparkquant.core.quantizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.sparkquant.core.fusion.TinyNets.build;
import static org.sparkquant.core.fusion.TinyNets.builder;
import static org.sparkquant.core.fusion.TinyNets.conv;
import static org.sparkquant.core.fusion.TinyNets.op;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.export.QuantizedWeights;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Tensor;

class WeightQuantizerTest {
  private static Graph convRelu() {
    return build(builder().addNode(conv("conv", "x", "c")).addNode(op("relu", "Relu", "y", "c")), "y");
  }

  @Test
  void storedWeightsAreTheCodesThePlanComputedForTheReport() {
    QuantizerConfig config = QuantizerConfig.preset("w8");
    WeightQuantizer.Plan plan = WeightQuantizer.plan(convRelu(), config);
    Tensor codes = plan.quantized().get("w");
    Graph stored = WeightQuantizer.quantize(convRelu(), config).graph();
    Graph fresh = new QuantizedWeights(plan.params()).apply(plan.graph());
    assertEquals(codes.data(), stored.constants().get("w_quantized").data());
    assertEquals(fresh.constants().get("w_quantized").data(), stored.constants().get("w_quantized").data(),
        "same codes as quantizing in the pass");
    assertEquals(1, plan.layers().size());
  }

  @Test
  void quantizedWeightsReusesCodesItIsGivenInsteadOfQuantizingAgain() {
    WeightQuantizer.Plan plan = WeightQuantizer.plan(convRelu(), QuantizerConfig.preset("w8"));
    Tensor given = plan.quantized().get("w");
    Tensor zeros = new Tensor(given.dataType(), given.shape(), java.nio.ByteBuffer.allocate(given.data().remaining()));
    Graph g = new QuantizedWeights(plan.params(), Map.of("w", zeros)).apply(plan.graph());
    assertEquals(zeros.data(), g.constants().get("w_quantized").data());
  }

  @Test
  void rangeParametersTakeEachPositionsMinimumAndMaximum() {
    java.util.Random r = new java.util.Random(3);
    long[][] shapes = {{7, 5}, {4, 3, 3, 2}, {33, 6}, {1, 9}};
    for (long[] shape : shapes) {
      float[] v = new float[(int) Tensor.numElements(shape)];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) r.nextGaussian();
      }
      java.util.List<org.sparkquant.core.numerics.Granularity> gs = new java.util.ArrayList<>();
      gs.add(org.sparkquant.core.numerics.Granularity.perTensor());
      for (int a = 0; a < shape.length; a++) {
        gs.add(org.sparkquant.core.numerics.Granularity.perChannel(a));
        gs.add(org.sparkquant.core.numerics.Granularity.perBlock(a, 2));
        gs.add(org.sparkquant.core.numerics.Granularity.perBlock(a, 32));
      }
      WeightSpec spec = new WeightSpec(org.sparkquant.core.numerics.QuantType.UINT4,
          org.sparkquant.core.numerics.Scheme.ASYMMETRIC, WeightSpec.Layout.PER_TENSOR, 0);
      for (org.sparkquant.core.numerics.Granularity g : gs) {
        long[] ps = g.paramShape(shape);
        float[] min = new float[(int) Tensor.numElements(ps)];
        float[] max = new float[min.length];
        int[] index = org.sparkquant.core.numerics.ScalarQuantizer.paramIndex(shape, g);
        for (int i = 0; i < v.length; i++) {
          min[index[i]] = Math.min(min[index[i]], v[i]);
          max[index[i]] = Math.max(max[index[i]], v[i]);
        }
        assertEquals(spec.scheme().params(spec.type(), g, ps, min, max), WeightQuantizer.rangeParams(v, shape, spec, g),
            java.util.Arrays.toString(shape) + " " + g);
      }
    }
  }
}
