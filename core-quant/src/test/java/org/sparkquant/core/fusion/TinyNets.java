package org.sparkquant.core.fusion;

import java.util.List;
import java.util.Random;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;

/**
 * Tiny convolutional graphs for fusion and placement tests: input {@code x [1, 4, 6, 6]}, 3×3 convolutions with
 * padding 1 that share weight {@code w} and bias {@code b}, BatchNorm parameters and the scalars HardSwish needs.
 */
public final class TinyNets {
  private TinyNets() {}

  /** A builder with the input and all constants, and no nodes. */
  public static Graph.Builder builder() {
    Random r = new Random(7);
    return Graph.builder().opset("", 17)
        .addInput(new ValueInfo("x", DataType.FLOAT, List.of(Dim.of(1), Dim.of(4), Dim.of(6), Dim.of(6))))
        .addConstant("w", Tensor.ofFloats(new long[] {4, 4, 3, 3}, random(r, 144, 0.3f)))
        .addConstant("b", Tensor.ofFloats(new long[] {4}, random(r, 4, 0.1f)))
        .addConstant("gamma", Tensor.ofFloats(new long[] {4}, 1f, 0.5f, 2f, 1.5f))
        .addConstant("beta", Tensor.ofFloats(new long[] {4}, 0.1f, -0.2f, 0.3f, 0f))
        .addConstant("mean", Tensor.ofFloats(new long[] {4}, 0f, 0.1f, -0.1f, 0.2f))
        .addConstant("var", Tensor.ofFloats(new long[] {4}, 1f, 2f, 0.5f, 1f))
        .addConstant("wm", Tensor.ofFloats(new long[] {6, 6}, random(r, 36, 0.3f)))
        .addConstant("bm", Tensor.ofFloats(new long[] {6}, random(r, 6, 0.1f)))
        .addConstant("zero", Tensor.ofFloats(new long[0], 0f))
        .addConstant("three", Tensor.ofFloats(new long[0], 3f))
        .addConstant("six", Tensor.ofFloats(new long[0], 6f))
        .addConstant("one", Tensor.ofFloats(new long[0], 1f))
        .addConstant("minus_one", Tensor.ofFloats(new long[0], -1f));
  }

  private static float[] random(Random r, int n, float scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian() * scale;
    }
    return a;
  }

  /** A 3×3 Conv with padding 1 reading {@code in}, weight {@code w} and bias {@code b}. */
  public static Node conv(String name, String in, String out) {
    return Node.of(name, "Conv", List.of(in, "w", "b"), List.of(out), Attribute.of("pads", 1L, 1L, 1L, 1L));
  }

  /** Inference-mode BatchNormalization with the shared parameters. */
  public static Node bn(String name, String in, String out) {
    return Node.of(name, "BatchNormalization", List.of(in, "gamma", "beta", "mean", "var"), List.of(out));
  }

  /** Any node with one output. */
  public static Node op(String name, String opType, String out, String... inputs) {
    return Node.of(name, opType, List.of(inputs), List.of(out));
  }

  /** HardSwish as {@code in * Clip(in + 3, 0, 6) / 6}; nodes named {@code prefix.add} … {@code prefix.div}. */
  public static Graph.Builder hardSwishClip(Graph.Builder b, String prefix, String in, String out) {
    return b.addNode(op(prefix + ".add", "Add", prefix + ".a", in, "three"))
        .addNode(op(prefix + ".clip", "Clip", prefix + ".c", prefix + ".a", "zero", "six"))
        .addNode(op(prefix + ".mul", "Mul", prefix + ".m", in, prefix + ".c"))
        .addNode(op(prefix + ".div", "Div", out, prefix + ".m", "six"));
  }

  /** {@code b} with {@code output} as the graph output, built. */
  public static Graph build(Graph.Builder b, String... outputs) {
    for (String o : outputs) {
      b.addOutput(new ValueInfo(o, DataType.FLOAT, null));
    }
    return b.build();
  }
}
