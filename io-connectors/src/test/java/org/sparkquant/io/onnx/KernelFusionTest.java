package org.sparkquant.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.exec.GraphExecutor;
import org.sparkquant.core.exec.KernelFusion;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;

/** Fusion on a real transformer: what it finds, what pins prevent, and that results do not change. */
class KernelFusionTest {

  private static Map<String, Long> opCounts(Graph g) {
    return g.nodes().stream().collect(Collectors.groupingBy(Node::opType, Collectors.counting()));
  }

  @Test
  void miniLmLayerNormsGelusAndBiasedProjectionsAreFused() {
    Graph graph = new OnnxModelReader().read(TestModels.path(TestModels.MINILM));
    Graph fused = new KernelFusion(Set.of()).apply(graph);
    Map<String, Long> ops = opCounts(fused);
    assertEquals(13L, ops.get("LayerNormalization"), "embeddings + 2 per layer");
    assertEquals(6L, ops.get("Gelu"));
    assertEquals(36L, ops.get(KernelFusion.MATMUL_BIAS), "q, k, v, output, 2 feed-forward per layer");
    assertEquals(12L, ops.get("MatMul"), "the attention products stay");
    assertTrue(!ops.containsKey("Erf") && !ops.containsKey("Pow") && !ops.containsKey("Sqrt"));
  }

  @Test
  void pinnedValuesInsideAPatternKeepItUnfused() {
    Graph graph = new OnnxModelReader().read(TestModels.path(TestModels.MINILM));
    Node erf = graph.nodes().stream().filter(n -> n.opType().equals("Erf")).findFirst().orElseThrow();
    Graph fused = new KernelFusion(Set.of(erf.outputs().get(0))).apply(graph);
    assertEquals(5L, opCounts(fused).get("Gelu"));
    assertEquals(1L, opCounts(fused).get("Erf"));
  }

  @Test
  void fusedAndUnfusedRunsAgree() throws Exception {
    Graph graph = new OnnxModelReader().read(TestModels.path(TestModels.MINILM));
    Map<String, OrtReference.Input> inputs = MiniLmInputs.tokenize(MiniLmInputs.sentences().subList(0, 8));
    try (DjlExecutor exec = new DjlExecutor(graph);
        NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> in = OrtReference.Input.toArrays(inputs, m);
      float[] fused = exec.run(m, in).get(0).toFloatArray();
      float[] unfused;
      try (GraphExecutor.Registration r = exec.addListener((node, name, value) -> {})) {
        unfused = exec.run(m, in).get(0).toFloatArray();
      }
      double rel = ModelParityTest.maxAbsDiff(fused, unfused) / ModelParityTest.maxAbs(unfused);
      System.out.printf("fused vs unfused: max relative diff %.3g%n", rel);
      assertTrue(rel <= 5e-5, "fused vs unfused max relative diff " + rel);
    }
  }
}
