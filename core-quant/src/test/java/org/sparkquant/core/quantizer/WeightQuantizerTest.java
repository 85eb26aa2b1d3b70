package org.sparkquant.core.quantizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.sparkquant.core.fusion.TinyNets.build;
import static org.sparkquant.core.fusion.TinyNets.builder;
import static org.sparkquant.core.fusion.TinyNets.conv;
import static org.sparkquant.core.fusion.TinyNets.op;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.passes.QuantizedWeights;

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
}
