package org.sparkquant.core.exec;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OpRegistryTest {

  @Test
  void standardRegistryHoldsEveryKernelFamilyFromTheServiceFile() {
    Set<String> ops = OpRegistry.standard().opTypes();
    // One operator of each family listed in META-INF/services.
    for (String op : List.of("Relu", "Conv", "Div", "MatMul", "LayerNormalization", "MaxPool", "QuantizeLinear",
        "ArgMax", "Resize", "Upsample", "Reshape", "com.microsoft:MatMulNBits",
        OpRegistry.SPARKQUANT_DOMAIN + ":" + KernelFusion.MATMUL_BIAS)) {
      assertTrue(ops.contains(op), op + " is missing from the standard registry: " + ops);
    }
    assertSame(OpRegistry.standard(), OpRegistry.standard());
  }
}
