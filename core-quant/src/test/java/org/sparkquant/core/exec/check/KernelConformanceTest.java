package org.sparkquant.core.exec.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.exec.OpRegistry;
import org.sparkquant.core.exec.ops.ConvOps;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;

/**
 * Every heavy kernel (Conv, ConvTranspose, MatMul, Gemm, the fused MatMulBias) against its plain-Java reference, on
 * the configurations of the real models (MobileNet-style channel counts 24, 40, 72 at 40×40 to 160×160, depthwise
 * and grouped convolutions, the detector's 2×2 stride-2 upsampling, attention-shaped batched products) and on
 * random shapes and attributes. Tolerance, for every heavy op: {@value KernelSelfCheck#TOLERANCE} of the magnitude
 * {@code Σ|x·w| + |b|} of each output (an error bound of float32 sums in any order); non-finite outputs fail.
 */
class KernelConformanceTest {
  private static final int EVERY_POSITION = KernelSelfCheck.EVERY;

  private final Random random = new Random(20261207);

  @Test
  void convolutionsWithPartialChannelBlocksMatchTheReferenceAtModelSizes() {
    for (long channels : new long[] {3, 8, 12, 16, 24, 40, 48, 72, 96}) {
      for (long size : new long[] {20, 40, 80, 160}) {
        if (channels * size * size > 40 * 80 * 80) {
          continue; // the largest channel counts at the largest sizes add time, not coverage
        }
        assertConforms(conv(channels, channels, 3, size, 1, Attribute.of("pads", 1L, 1L, 1L, 1L)));
      }
    }
    assertConforms(conv(24, 40, 3, 160, 1, Attribute.of("pads", 1L, 1L, 1L, 1L)));
    assertConforms(conv(40, 24, 1, 80, 2));
  }

  @Test
  void depthwiseAndGroupedConvolutionsMatchTheReference() {
    for (long channels : new long[] {24, 40, 72}) {
      assertConforms(conv(channels, channels, 3, 80, 1, Attribute.of("group", channels),
          Attribute.of("pads", 1L, 1L, 1L, 1L), Attribute.of("strides", 2L, 2L)));
      assertConforms(conv(channels, channels, 5, 40, 1, Attribute.of("group", channels),
          Attribute.of("pads", 2L, 2L, 2L, 2L)));
    }
    assertConforms(conv(48, 48, 3, 40, 1, Attribute.of("group", 2L), Attribute.of("pads", 1L, 1L, 1L, 1L)));
    assertConforms(conv(96, 40, 3, 40, 2, Attribute.of("group", 4L), Attribute.of("pads", 0L, 1L, 2L, 0L),
        Attribute.of("dilations", 2L, 1L)));
  }

  @Test
  void transposedConvolutionsLikeTheDetectorHeadsMatchTheReference() {
    for (long channels : new long[] {24, 96}) {
      for (long size : new long[] {40, 80}) {
        assertConforms(convTranspose(channels, 24, 2, size, 1, Attribute.of("strides", 2L, 2L)));
      }
    }
    assertConforms(convTranspose(24, 24, 3, 40, 1, Attribute.of("strides", 2L, 2L),
        Attribute.of("pads", 1L, 1L, 0L, 0L), Attribute.of("output_padding", 1L, 1L)));
    assertConforms(convTranspose(48, 32, 4, 20, 2, Attribute.of("strides", 2L, 2L),
        Attribute.of("pads", 1L, 1L, 1L, 1L), Attribute.of("group", 2L)));
    assertConforms(convTranspose(16, 8, 3, 20, 1, Attribute.of("dilations", 2L, 1L),
        Attribute.of("strides", 1L, 2L)));
    assertConforms(convTranspose(8, 8, 2, 20, 1, Attribute.of("strides", 2L, 2L),
        Attribute.of("auto_pad", "SAME_UPPER")));
  }

  @Test
  void convolutionsOverOneAndThreeSpatialAxesMatchTheReference() {
    assertConforms(single("Conv", new long[] {2, 24, 200}, new long[] {40, 24, 5}, true,
        ints("pads", 2, 2), ints("dilations", 2)));
    assertConforms(single("Conv", new long[] {1, 24, 12, 20, 20}, new long[] {16, 24, 3, 3, 3}, false,
        Attribute.of("pads", 1L, 1L, 1L, 1L, 1L, 1L)));
    assertConforms(single("ConvTranspose", new long[] {1, 24, 60}, new long[] {24, 8, 2}, true,
        ints("strides", 2)));
  }

  @Test
  void matrixProductsOfTheTransformerMatchTheReference() {
    assertConforms(matMul(new long[] {2, 128, 384}, new long[] {384, 1536}, true));
    assertConforms(matMul(new long[] {2, 128, 1536}, new long[] {384 * 4, 384}, true));
    assertConforms(matMul(new long[] {2, 12, 128, 32}, new long[] {2, 12, 32, 128}, false));
    assertConforms(matMul(new long[] {2, 12, 128, 128}, new long[] {2, 12, 128, 32}, false));
    assertConforms(matMul(new long[] {3, 1, 5, 7}, new long[] {4, 7, 6}, false));
    assertConforms(matMul(new long[] {7}, new long[] {2, 7, 6}, false));
    assertConforms(matMul(new long[] {2, 5, 7}, new long[] {7}, false));
  }

  @Test
  void fusedMatMulWithBiasMatchesTheReference() {
    Graph g = Graph.builder().opset("", 17)
        .addInput(input("x", 2, 64, 384))
        .addConstant("w", weights(384, 96))
        .addConstant("b", weights(96))
        .addNode(Node.of("mm", "MatMul", List.of("x", "w"), List.of("xw")))
        .addNode(Node.of("add", "Add", List.of("xw", "b"), List.of("y")))
        .addOutput(new ValueInfo("y", null, null))
        .build();
    KernelSelfCheck.Result r = KernelSelfCheck.verify(g, Map.of(), OpRegistry.standard(), EVERY_POSITION);
    assertEquals(2, r.configurations(), "MatMul, and MatMulBias in the executor's fused plan");
  }

  @Test
  void gemmWithTransposesAlphaBetaAndBiasShapesMatchesTheReference() {
    for (long[] c : new long[][] {{}, {48}, {32, 1}, {32, 48}}) {
      for (long transA = 0; transA < 2; transA++) {
        long[] a = transA == 1 ? new long[] {100, 32} : new long[] {32, 100};
        Graph.Builder b = Graph.builder().opset("", 17)
            .addInput(input("a", a))
            .addConstant("w", weights(48, 100));
        List<String> inputs = new ArrayList<>(List.of("a", "w"));
        if (c.length > 0) {
          b.addConstant("c", weights(c));
          inputs.add("c");
        }
        b.addNode(new Node("gemm", "Gemm", "", inputs, List.of("y"), Map.of(
            "transA", Attribute.of("transA", transA), "transB", Attribute.of("transB", 1L),
            "alpha", Attribute.of("alpha", 0.7f), "beta", Attribute.of("beta", -1.5f))));
        assertConforms(b.addOutput(new ValueInfo("y", null, null)).build());
      }
    }
  }

  @Test
  void randomConvolutionConfigurationsMatchTheReference() {
    for (int i = 0; i < 24; i++) {
      boolean transposed = i % 3 == 2;
      long group = random.nextInt(4) == 0 ? 1 + random.nextInt(3) : 1;
      long inPerGroup = 1 + random.nextInt(48);
      long outPerGroup = 1 + random.nextInt(24);
      long kernel = 1 + random.nextInt(4);
      long stride = 1 + random.nextInt(2);
      long dilation = 1 + random.nextInt(2);
      long size = 8 + random.nextInt(40);
      long pad = random.nextInt((int) kernel);
      List<Attribute> attrs = new ArrayList<>(List.of(Attribute.of("group", group),
          Attribute.of("strides", stride, stride), Attribute.of("dilations", dilation, 1L),
          Attribute.of("pads", pad, 0L, pad, pad)));
      long[] x = {1 + random.nextInt(2), group * inPerGroup, size, size + random.nextInt(8)};
      long[] w = transposed ? new long[] {group * inPerGroup, outPerGroup, kernel, kernel}
          : new long[] {group * outPerGroup, inPerGroup, kernel, kernel};
      assertConforms(single(transposed ? "ConvTranspose" : "Conv", x, w, random.nextBoolean(),
          attrs.toArray(Attribute[]::new)));
    }
  }

  @Test
  void convolutionsAroundOneChannelBlockMatchTheReference() {
    // 12 and 16 run as they are; 17, 24 and 40 are padded to 32 and 48; 32 is a full second block.
    assertEquals(16, ConvOps.CHANNEL_BLOCK);
    for (long channels : new long[] {12, 16, 17, 24, 32, 40}) {
      assertConforms(conv(channels, 8, 3, 24, 2, Attribute.of("pads", 1L, 1L, 1L, 1L)));
    }
  }

  @Test
  void aKernelThatDropsAnInputChannelIsRefusedNamingTheNodeAndTheCpu() {
    OpRegistry faulty = new OpRegistry();
    faulty.register("Conv", (ctx, in) -> {
      NDArray x = in[0].duplicate();
      x.set(new NDIndex(":, -1"), 0f);
      return OpRegistry.standard().spec(ctx.node()).kernel().run(ctx, new NDArray[] {x, in[1], in[2]});
    });
    Graph g = conv(24, 24, 3, 40, 1, Attribute.of("pads", 1L, 1L, 1L, 1L));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> KernelSelfCheck.verify(g, Map.of(), faulty, KernelSelfCheck.POSITIONS_PER_CHANNEL));
    String cpu = CpuInfo.current().model();
    assertTrue(e.getMessage().contains("node 'conv' (Conv)") && e.getMessage().contains(cpu)
        && !e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void aKernelThatReturnsNanIsRefused() {
    OpRegistry faulty = new OpRegistry();
    faulty.register("MatMul", (ctx, in) -> {
      NDArray y = in[0].matMul(in[1]);
      y.set(new NDIndex("0, 3, 5"), Float.NaN);
      return new NDArray[] {y};
    });
    Graph g = matMul(new long[] {1, 8, 16}, new long[] {16, 8}, true);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> KernelSelfCheck.verify(g, Map.of(), faulty, EVERY_POSITION));
    assertTrue(e.getMessage().contains("output [0, 3, 5] is NaN"), e.getMessage());
  }

  @Test
  void eachConfigurationIsCheckedOncePerJvm() {
    Graph g = conv(8, 8, 3, 12, 1, Attribute.of("pads", 1L, 1L, 1L, 1L), Attribute.of("dilations", 1L, 3L));
    KernelSelfCheck.Result first = KernelSelfCheck.verify(g, Map.of());
    KernelSelfCheck.Result second = KernelSelfCheck.verify(g, Map.of());
    assertEquals(1, first.configurations());
    assertEquals(1, first.checked());
    assertEquals(0, second.checked());
    assertTrue(first.summary().contains("1 heavy-kernel configurations"), first.summary());
  }

  // ---------------------------------------------------------------- models of one node

  private static void assertConforms(Graph g) {
    KernelSelfCheck.Result r = KernelSelfCheck.verify(g, Map.of(), OpRegistry.standard(), EVERY_POSITION);
    assertEquals(1, r.configurations());
  }

  private Graph conv(long in, long out, long kernel, long size, long batch, Attribute... attrs) {
    return single("Conv", new long[] {batch, in, size, size},
        new long[] {out, in / groupOf(attrs), kernel, kernel}, true, attrs);
  }

  private Graph convTranspose(long in, long out, long kernel, long size, long batch, Attribute... attrs) {
    return single("ConvTranspose", new long[] {batch, in, size, size},
        new long[] {in, out / groupOf(attrs), kernel, kernel}, true, attrs);
  }

  private Graph single(String op, long[] x, long[] w, boolean bias, Attribute... attrs) {
    long outChannels = op.equals("Conv") ? w[0] : w[1] * groupOf(attrs);
    Graph.Builder b = Graph.builder().opset("", 17).addInput(input("x", x)).addConstant("w", weights(w));
    List<String> inputs = new ArrayList<>(List.of("x", "w"));
    if (bias) {
      b.addConstant("b", weights(outChannels));
      inputs.add("b");
    }
    Node n = Node.of(op.equals("Conv") ? "conv" : "convT", op, inputs, List.of("y"), attrs);
    return b.addNode(n).addOutput(new ValueInfo("y", null, null)).build();
  }

  private static long groupOf(Attribute[] attrs) {
    for (Attribute a : attrs) {
      if (a.name().equals("group")) {
        return (Long) a.value();
      }
    }
    return 1;
  }

  private Graph matMul(long[] a, long[] b, boolean constantRight) {
    Graph.Builder g = Graph.builder().opset("", 17).addInput(input("a", a));
    if (constantRight) {
      g.addConstant("b", weights(b));
    } else {
      g.addInput(input("b", b));
    }
    return g.addNode(Node.of("mm", "MatMul", List.of("a", "b"), List.of("y")))
        .addOutput(new ValueInfo("y", null, null)).build();
  }

  /** A list-of-ints attribute, also when it has one value. */
  private static Attribute ints(String name, long... values) {
    return new Attribute(name, Attribute.Kind.INTS, values.clone());
  }

  private static ValueInfo input(String name, long... shape) {
    List<Dim> dims = new ArrayList<>();
    for (long s : shape) {
      dims.add(Dim.of(s));
    }
    return new ValueInfo(name, DataType.FLOAT, dims);
  }

  private Tensor weights(long... shape) {
    float[] v = new float[(int) Tensor.numElements(shape)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) random.nextGaussian() * 0.2f;
    }
    return Tensor.ofFloats(shape, v);
  }
}
