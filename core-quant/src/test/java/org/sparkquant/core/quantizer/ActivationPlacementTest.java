package org.sparkquant.core.quantizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkquant.core.fusion.TinyNets.bn;
import static org.sparkquant.core.fusion.TinyNets.build;
import static org.sparkquant.core.fusion.TinyNets.builder;
import static org.sparkquant.core.fusion.TinyNets.conv;
import static org.sparkquant.core.fusion.TinyNets.op;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.export.Backend;
import org.sparkquant.core.fusion.Chains;
import org.sparkquant.core.fusion.FusionBlock;
import org.sparkquant.core.fusion.FusionPattern;
import org.sparkquant.core.fusion.FusionPatterns;
import org.sparkquant.core.fusion.TinyNets;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;

class ActivationPlacementTest {
  private static final QuantizerConfig.ExecutionMode GRAPH = QuantizerConfig.ExecutionMode.GRAPH;
  private static final QuantizerConfig.ExecutionMode EAGER = QuantizerConfig.ExecutionMode.EAGER;

  /** x → Conv → BatchNormalization → Relu → Conv → y. */
  private static Graph convBnReluConv() {
    return build(builder().addNode(conv("c1", "x", "a")).addNode(bn("bn", "a", "n"))
        .addNode(op("relu", "Relu", "r", "n")).addNode(conv("c2", "r", "y")), "y");
  }

  /** x → Conv → HardSwish (x * Clip(x + 3, 0, 6) / 6) → Conv → y. */
  private static Graph convHardSwishConv() {
    return build(TinyNets.hardSwishClip(builder().addNode(conv("c1", "x", "a")), "hs", "a", "h")
        .addNode(conv("c2", "h", "y")), "y");
  }

  /** The placement after the mode's graph passes (BatchNorm folded in graph mode), as the prepared model sees it. */
  private static ActivationPlacement place(Graph g, QuantizerConfig.ExecutionMode mode) {
    Graph planned = WeightQuantizer.plan(g, QuantizerConfig.preset("w8a8").withMode(mode)).graph();
    return ActivationPlacement.of(planned, mode);
  }

  private static void assertNothingInside(ActivationPlacement p) {
    for (FusionBlock b : p.blocks()) {
      for (String v : b.interior()) {
        assertTrue(!p.uses().containsKey(v), "quantizer on " + v + " inside " + b.ops());
      }
    }
  }

  @Test
  void graphModePutsNoQuantizerInsideConvBnReluAndOneAtTheBlockOutputFeedingAConv() {
    ActivationPlacement p = place(convBnReluConv(), GRAPH);
    assertEquals(List.of("Conv+Relu", "Conv"), p.blocks().stream().map(FusionBlock::ops).toList(), "BatchNorm folded");
    assertEquals(Map.of("x", Set.of(new ActivationPlacement.Use("c1", 0)),
        "r", Set.of(new ActivationPlacement.Use("c2", 0))), p.uses());
    assertNothingInside(p);
  }

  @Test
  void aLayerARuleSkipsReadsFloatInputsInBothModes() {
    Graph g = convBnReluConv();
    QuantizerConfig config = QuantizerConfig.preset("w8a8")
        .withRules(List.of(LayerRule.skip(LayerRule.Match.NAME, "c2")));
    try (PreparedModel p = new Quantizer(g, config).prepare()) {
      assertEquals(Set.of("x"), p.activationQuantizers(), "c2 stays float, so r is not quantized for it");
    }
    try (PreparedModel p = new Quantizer(g, config.withMode(EAGER)).prepare()) {
      assertEquals(Set.of("x", "a", "n", "r"), p.activationQuantizers(), "c1's block is still quantized");
    }
    Graph planned = WeightQuantizer.plan(g, QuantizerConfig.preset("w8a8")).graph();
    assertEquals(Set.of("r"), ActivationPlacement.of(planned, GRAPH, FusionPatterns.defaults(), Set.of("c1"))
        .uses().keySet());
  }

  @Test
  void graphModePutsNoQuantizerInsideConvHardSwishAndOneAtItsOutput() {
    ActivationPlacement p = place(convHardSwishConv(), GRAPH);
    assertEquals("weighted-hardswish-clip", p.blocks().get(0).pattern());
    assertEquals(Set.of("x", "h"), p.uses().keySet());
    assertNothingInside(p);
  }

  @Test
  void eagerModeQuantizesAfterEveryOpOfTheBlockAndKeepsBatchNorm() {
    ActivationPlacement p = place(convBnReluConv(), EAGER);
    assertEquals(List.of("Conv+BatchNormalization+Relu", "Conv"), p.blocks().stream().map(FusionBlock::ops).toList());
    assertEquals(Set.of("x", "a", "n", "r"), p.uses().keySet(), "graph output y stays float");
    assertEquals(Set.of(new ActivationPlacement.Use("bn", 0)), p.uses().get("a"));
    assertEquals(Set.of(new ActivationPlacement.Use("relu", 0)), p.uses().get("n"));
    assertEquals(List.of(), p.sharedGroups(), "no sharing in eager mode");
  }

  @Test
  void eagerModeQuantizesEachNodeOfADecomposedHardSwish() {
    ActivationPlacement p = place(convHardSwishConv(), EAGER);
    assertEquals(Set.of("x", "a", "hs.a", "hs.c", "hs.m", "h"), p.uses().keySet());
    assertEquals(Set.of(new ActivationPlacement.Use("hs.add", 0), new ActivationPlacement.Use("hs.mul", 0)),
        p.uses().get("a"));
  }

  @Test
  void blockOutputReadOnlyByFloatOpsStaysFloatInGraphMode() {
    Graph g = build(builder().addNode(conv("c1", "x", "a")).addNode(op("relu", "Relu", "r", "a"))
        .addNode(op("res", "Add", "s", "r", "x")).addNode(op("sm", "Softmax", "y", "s")), "y");
    assertEquals(Set.of("x"), place(g, GRAPH).uses().keySet());
  }

  @Test
  void valuePreservingOpsBetweenBlocksShareParametersWithTheBlockOutput() {
    Graph g = build(builder().addNode(conv("c1", "x", "a")).addNode(op("relu", "Relu", "r", "a"))
        .addNode(Node.of("pool", "MaxPool", List.of("r"), List.of("p"), Attribute.of("kernel_shape", 1L, 1L)))
        .addNode(conv("c2", "p", "y")), "y");
    ActivationPlacement p = place(g, GRAPH);
    assertEquals(Set.of("x", "r", "p"), p.uses().keySet());
    assertEquals(List.of(Set.of("p", "r")), p.sharedGroups());
  }

  @Test
  void layoutOpsBetweenBlocksReadFloatAndTheQuantizerStaysAtTheMatMulInput() {
    Graph g = build(builder().addNode(op("m1", "MatMul", "a", "x", "wm")).addNode(op("bias", "Add", "s", "a", "bm"))
        .addNode(Node.of("t", "Transpose", List.of("s"), List.of("st"), Attribute.of("perm", 0L, 1L, 3L, 2L)))
        .addNode(op("m2", "MatMul", "y", "st", "wm")), "y");
    ActivationPlacement p = place(g, GRAPH);
    assertEquals(List.of("MatMul+Add", "MatMul"), p.blocks().stream().map(FusionBlock::ops).toList());
    assertEquals(Map.of("x", Set.of(new ActivationPlacement.Use("m1", 0)),
        "st", Set.of(new ActivationPlacement.Use("m2", 0))), p.uses());
    assertEquals(List.of(), p.sharedGroups());
  }

  /** Conv → Relu → Conv as one block, for a runtime that fuses two convolutions. */
  static final class ConvReluConv implements FusionPattern {
    @Override
    public String name() {
      return "conv-relu-conv";
    }

    @Override
    public Optional<FusionBlock> match(Graph graph, Node anchor) {
      Node relu = Chains.is(anchor, "Conv") ? Chains.next(graph, anchor) : null;
      Node second = Chains.is(relu, "Relu") ? Chains.next(graph, relu) : null;
      return Chains.is(second, "Conv") ? FusionBlock.of(graph, name(), List.of(anchor, relu, second))
          : Optional.empty();
    }
  }

  @Test
  void graphModeDropsAQuantizerThatAnotherRuleWouldPutInsideABlock() {
    Graph g = build(builder().addNode(conv("c1", "x", "a")).addNode(op("relu", "Relu", "r", "a"))
        .addNode(conv("c2", "r", "y")), "y");
    assertEquals(Set.of("x", "r"), ActivationPlacement.of(g, GRAPH).uses().keySet());
    ActivationPlacement fused = ActivationPlacement.of(g, GRAPH, FusionPatterns.defaults().with(new ConvReluConv()));
    assertEquals(List.of("conv-relu-conv"), fused.blocks().stream().map(FusionBlock::pattern).toList());
    assertEquals(Set.of("x"), fused.uses().keySet(), "the second Conv's input is inside the block");
  }

  @Test
  void batchNormIsFoldedInGraphModeAndKeptInEagerMode() {
    Graph g = convBnReluConv();
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, ai.djl.ndarray.NDArray> in = Map.of("x", m.randomNormal(new Shape(1, 4, 6, 6)));
      for (QuantizerConfig.ExecutionMode mode : QuantizerConfig.ExecutionMode.values()) {
        try (PreparedModel p = new Quantizer(g, QuantizerConfig.preset("w8a8").withMode(mode)).prepare(in)) {
          long batchNorms = p.graph().nodes().stream().filter(n -> n.opType().equals("BatchNormalization")).count();
          assertEquals(mode == EAGER ? 1 : 0, batchNorms, mode.name());
          assertEquals(mode == EAGER ? Set.of("x", "a", "n", "r") : Set.of("x", "r"), p.activationQuantizers(),
              mode.name());
          assertEquals(2, p.fusionBlocks().size());
          Graph exported = p.finalize(Backend.ONNX_QDQ);
          assertEquals(p.activationQuantizers().size(),
              exported.nodes().stream().filter(n -> n.opType().equals("QuantizeLinear")).count());
        }
      }
    }
  }
}
