package org.sparkquant.core.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkquant.core.fusion.TinyNets.bn;
import static org.sparkquant.core.fusion.TinyNets.build;
import static org.sparkquant.core.fusion.TinyNets.builder;
import static org.sparkquant.core.fusion.TinyNets.conv;
import static org.sparkquant.core.fusion.TinyNets.op;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;

class FusionPatternsTest {

  private static List<FusionBlock> blocks(Graph g) {
    return FusionPatterns.defaults().blocks(g);
  }

  private static List<String> names(FusionBlock b) {
    return b.nodes().stream().map(Node::name).toList();
  }

  private static FusionBlock only(Graph g) {
    List<FusionBlock> all = blocks(g);
    assertEquals(1, all.size(), all.toString());
    return all.get(0);
  }

  @Test
  void weightedOpAloneIsABlock() {
    for (String op : List.of("Conv", "ConvTranspose", "Gemm", "MatMul")) {
      Graph g = build(builder().addNode(op("n", op, "y", "x", "w")), "y");
      FusionBlock b = only(g);
      assertEquals("weighted", b.pattern());
      assertEquals(List.of("x"), b.inputs(), "constants are not block inputs");
      assertEquals("y", b.output());
    }
  }

  @Test
  void convBatchNormReluIsOneBlockWithTheReluOutput() {
    Graph g = build(builder().addNode(conv("conv", "x", "c")).addNode(bn("bn", "c", "n"))
        .addNode(op("relu", "Relu", "y", "n")), "y");
    FusionBlock b = only(g);
    assertEquals("weighted-relu", b.pattern());
    assertEquals(List.of("conv", "bn", "relu"), names(b));
    assertEquals("Conv+BatchNormalization+Relu", b.ops());
    assertEquals(List.of("x"), b.inputs());
    assertEquals("y", b.output());
    assertEquals(java.util.Set.of("c", "n"), b.interior());
  }

  @ParameterizedTest
  @ValueSource(strings = {"Relu", "HardSigmoid", "HardSwish", "LeakyRelu", "Sigmoid"})
  void eachSingleNodeActivationFollowsAWeightedOp(String activation) {
    Graph g = build(builder().addNode(conv("conv", "x", "c")).addNode(op("act", activation, "y", "c")), "y");
    FusionBlock b = only(g);
    assertEquals("weighted-" + activation.toLowerCase(java.util.Locale.ROOT), b.pattern());
    assertEquals(List.of("conv", "act"), names(b));
  }

  @Test
  void clipToZeroSixIsRelu6AndOtherBoundsAreClip() {
    Graph relu6 = build(builder().addNode(conv("conv", "x", "c"))
        .addNode(op("clip", "Clip", "y", "c", "zero", "six")), "y");
    assertEquals("weighted-relu6", only(relu6).pattern());
    Graph clip = build(builder().addNode(conv("conv", "x", "c"))
        .addNode(op("clip", "Clip", "y", "c", "minus_one", "one")), "y");
    assertEquals("weighted-clip", only(clip).pattern());
    Graph oldOpset = build(builder().addNode(conv("conv", "x", "c")).addNode(Node.of("clip", "Clip", List.of("c"),
        List.of("y"), Attribute.of("min", 0f), Attribute.of("max", 6f))), "y");
    assertEquals("weighted-relu6", only(oldOpset).pattern());
  }

  @Test
  void clipWithComputedBoundsEndsTheBlockBeforeIt() {
    Graph g = build(builder().addNode(conv("conv", "x", "c")).addNode(op("lo", "Neg", "l", "x"))
        .addNode(op("clip", "Clip", "y", "c", "l", "six")), "y");
    assertEquals(List.of("conv"), names(only(g)));
  }

  @Test
  void hardSwishAsXTimesHardSigmoidOfXIsOneBlock() {
    Graph g = build(builder().addNode(conv("conv", "x", "c")).addNode(bn("bn", "c", "n"))
        .addNode(op("hs", "HardSigmoid", "h", "n")).addNode(op("mul", "Mul", "y", "n", "h")), "y");
    FusionBlock b = only(g);
    assertEquals("weighted-hardswish-mul", b.pattern());
    assertEquals(List.of("conv", "bn", "hs", "mul"), names(b));
    assertEquals("y", b.output());
  }

  @Test
  void hardSigmoidGatingAnotherValueIsAHardSigmoidBlockNotHardSwish() {
    Graph g = build(builder().addNode(conv("gate", "x", "g")).addNode(op("hs", "HardSigmoid", "h", "g"))
        .addNode(conv("main", "x", "m")).addNode(op("mul", "Mul", "y", "m", "h")), "y");
    List<FusionBlock> all = blocks(g);
    assertEquals(List.of("weighted-hardsigmoid", "weighted"), all.stream().map(FusionBlock::pattern).toList());
    assertEquals(List.of("gate", "hs"), names(all.get(0)));
  }

  @Test
  void hardSwishSpelledWithClipAsPaddleExportsItIsOneBlock() {
    Graph g = build(TinyNets.hardSwishClip(builder().addNode(conv("conv", "x", "c"))
        .addNode(op("scale", "Mul", "s", "one", "c")).addNode(op("shift", "Add", "t", "s", "three")),
        "hswish", "t", "y"), "y");
    FusionBlock b = only(g);
    assertEquals("weighted-hardswish-clip", b.pattern());
    assertEquals(List.of("conv", "scale", "shift", "hswish.add", "hswish.clip", "hswish.mul", "hswish.div"), names(b));
    assertEquals(List.of("x"), b.inputs());
  }

  @Test
  void matMulWithBiasAddAndReluIsOneBlock() {
    Graph g = build(builder().addNode(op("mm", "MatMul", "h", "x", "wm")).addNode(op("bias", "Add", "hb", "bm", "h"))
        .addNode(op("relu", "Relu", "y", "hb")), "y");
    FusionBlock b = only(g);
    assertEquals("weighted-relu", b.pattern());
    assertEquals(List.of("mm", "bias", "relu"), names(b));
  }

  @Test
  void residualAddIsNotABias() {
    Graph g = build(builder().addNode(op("mm", "MatMul", "h", "x", "wm")).addNode(op("res", "Add", "y", "h", "x")),
        "y");
    assertEquals(List.of("mm"), names(only(g)));
  }

  @Test
  void intermediateWithASecondReaderCutsTheBlock() {
    Graph bnShared = build(builder().addNode(conv("conv", "x", "c")).addNode(bn("bn", "c", "n"))
        .addNode(op("relu", "Relu", "r", "n")).addNode(op("res", "Add", "y", "n", "r")), "y");
    FusionBlock b = only(bnShared);
    assertEquals("weighted", b.pattern());
    assertEquals(List.of("conv", "bn"), names(b), "the block ends at the value with two readers");

    Graph convShared = build(builder().addNode(conv("conv", "x", "c")).addNode(op("relu", "Relu", "r", "c"))
        .addNode(op("res", "Add", "y", "c", "r")), "y");
    assertEquals(List.of("conv"), names(only(convShared)));
  }

  @Test
  void intermediateThatIsAGraphOutputCutsTheBlock() {
    Graph g = build(builder().addNode(conv("conv", "x", "c")).addNode(op("relu", "Relu", "y", "c")), "y", "c");
    assertEquals(List.of("conv"), names(only(g)));
    FusionBlock direct = FusionBlock.of(g, "by-hand", g.nodes()).orElse(null);
    assertEquals(null, direct, "FusionBlock.of rejects the group itself");
  }

  @Test
  void consecutiveWeightedOpsFormSeparateBlocks() {
    Graph g = build(builder().addNode(conv("c1", "x", "a")).addNode(op("r1", "Relu", "r", "a"))
        .addNode(conv("c2", "r", "b2")).addNode(op("r2", "Relu", "y", "b2")), "y");
    List<FusionBlock> all = blocks(g);
    assertEquals(List.of(List.of("c1", "r1"), List.of("c2", "r2")), all.stream().map(FusionPatternsTest::names).toList());
    assertEquals(List.of("r"), all.get(1).inputs());
  }

  /** Conv → Relu → MaxPool, a pattern a caller might add for a runtime that fuses pooling. */
  static final class ConvReluPool implements FusionPattern {
    @Override
    public String name() {
      return "conv-relu-maxpool";
    }

    @Override
    public Optional<FusionBlock> match(Graph graph, Node anchor) {
      Node relu = Chains.is(anchor, "Conv") ? Chains.next(graph, anchor) : null;
      Node pool = Chains.is(relu, "Relu") ? Chains.next(graph, relu) : null;
      return Chains.is(pool, "MaxPool") ? FusionBlock.of(graph, name(), List.of(anchor, relu, pool)) : Optional.empty();
    }
  }

  @Test
  void registryWithAnExtraPatternUsesItWhereItMatchesLonger() {
    Graph g = build(builder().addNode(conv("c1", "x", "a")).addNode(op("r1", "Relu", "r", "a"))
        .addNode(Node.of("pool", "MaxPool", List.of("r"), List.of("p"), Attribute.of("kernel_shape", 2L, 2L)))
        .addNode(conv("c2", "p", "y")), "y");
    assertEquals(List.of("weighted-relu", "weighted"), blocks(g).stream().map(FusionBlock::pattern).toList());
    FusionPatterns extended = FusionPatterns.defaults().with(new ConvReluPool());
    assertEquals("conv-relu-maxpool", extended.patterns().get(0).name());
    assertEquals(FusionPatterns.defaults().patterns().size() + 1, extended.patterns().size());
    List<FusionBlock> all = extended.blocks(g);
    assertEquals(List.of("conv-relu-maxpool", "weighted"), all.stream().map(FusionBlock::pattern).toList());
    assertEquals(List.of("c1", "r1", "pool"), names(all.get(0)));
  }

  @Test
  void longerMatchWinsOverAnEarlierShorterOneAndTiesGoToTheFirst() {
    Graph g = build(builder().addNode(conv("conv", "x", "c")).addNode(op("relu", "Relu", "y", "c")), "y");
    FusionPatterns weightedFirst = FusionPatterns.of(List.of(new WeightedOp(), new WeightedActivation("Relu")));
    assertEquals("weighted-relu", weightedFirst.blocks(g).get(0).pattern());
    FusionPattern alias = new FusionPattern() {
      @Override
      public String name() {
        return "alias";
      }

      @Override
      public Optional<FusionBlock> match(Graph graph, Node anchor) {
        return new WeightedActivation("Relu").match(graph, anchor).flatMap(b -> FusionBlock.of(graph, name(),
            b.nodes()));
      }
    };
    assertEquals("alias", FusionPatterns.defaults().with(alias).blocks(g).get(0).pattern());
  }

  @Test
  void duplicatePatternNamesAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FusionPatterns.defaults().with(new WeightedOp()));
    assertTrue(e.getMessage().contains("'weighted' is used twice"), e.getMessage());
  }
}
