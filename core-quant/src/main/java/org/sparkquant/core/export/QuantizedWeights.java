package org.sparkquant.core.export;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.GraphPass;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.Packing;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.ScalarQuantizer;
import org.sparkquant.core.passes.OpsetUpgrade;

/**
 * Stores weights in their quantized type, the ONNX QDQ way: each chosen float constant {@code W} becomes
 * {@code W_quantized} (packed as ONNX stores the type), {@code W_scale} and {@code W_zero_point}, and a
 * {@code DequantizeLinear} node named {@code W/DequantizeLinear} produces {@code W} again, so every consumer is
 * unchanged. The graph is first raised to the lowest opset that has the types and layouts used (13 per axis, 19 FP8,
 * 21 4-bit and blocks, 23 FP4, 25 2-bit).
 */
public final class QuantizedWeights implements GraphPass {
  private final Map<String, QuantParams> weights;
  private final Map<String, Tensor> stored;

  /** @param weights parameters per float constant to store quantized; nodes and constants are written in this order */
  public QuantizedWeights(Map<String, QuantParams> weights) {
    this(weights, Map.of());
  }

  /**
   * As {@link #QuantizedWeights(Map)}, reusing codes computed earlier with the same parameters (for example by the
   * quantizer's weight plan, which quantizes each weight once for its report), so weights are not quantized twice.
   *
   * @param weights parameters per float constant to store quantized; nodes and constants are written in this order
   * @param stored per constant, its codes with {@code weights}' parameters packed as {@link #pack}; constants missing
   *     here are quantized by the pass
   */
  public QuantizedWeights(Map<String, QuantParams> weights, Map<String, Tensor> stored) {
    // In the given order: Map.copyOf would iterate in an order that differs from JVM to JVM.
    this.weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
    this.stored = Map.copyOf(stored);
  }

  /** {@code codes} of a tensor of shape {@code shape} packed as ONNX stores {@code type}. */
  public static Tensor pack(QuantType type, long[] shape, int[] codes) {
    return new Tensor(type.onnxType(), shape, ByteBuffer.wrap(Packing.pack(type, codes)));
  }

  /** The lowest default-domain opset that can dequantize weights with these parameters. */
  public static long requiredOpset(QuantParams p) {
    long opset = p.granularity() instanceof Granularity.PerTensor ? 10 : 13;
    opset = switch (p.type()) {
      case FP8_E4M3FN, FP8_E5M2 -> Math.max(opset, 19);
      case INT4, UINT4, INT16, UINT16 -> Math.max(opset, 21);
      case FP4_E2M1 -> Math.max(opset, 23);
      case INT2, UINT2 -> Math.max(opset, 25);
      default -> opset;
    };
    return p.granularity() instanceof Granularity.PerBlock ? Math.max(opset, 21) : opset;
  }

  @Override
  public Graph apply(Graph graph) {
    long opset = graph.defaultOpset();
    for (Map.Entry<String, QuantParams> e : weights.entrySet()) {
      Tensor w = graph.constants().get(e.getKey());
      if (w == null || w.dataType() != org.sparkquant.core.graph.DataType.FLOAT) {
        throw new IllegalArgumentException("'" + e.getKey() + "' is not a float constant of graph '" + graph.name() + "'");
      }
      opset = Math.max(opset, requiredOpset(e.getValue()));
    }
    Graph upgraded = new OpsetUpgrade(opset).apply(graph);
    Graph.Builder b = upgraded.toBuilder();
    Map<String, Node> dequantize = new LinkedHashMap<>();
    for (Map.Entry<String, QuantParams> e : weights.entrySet()) {
      String name = e.getKey();
      QuantParams p = e.getValue();
      Tensor w = upgraded.constants().get(name);
      Tensor codes = stored.get(name);
      if (codes == null || !java.util.Arrays.equals(codes.shape(), w.shape()) || codes.dataType() != p.type().onnxType()) {
        codes = pack(p.type(), w.shape(), ScalarQuantizer.quantize(w.floats(), w.shape(), p));
      }
      b.removeConstant(name);
      b.addConstant(name + "_quantized", codes);
      b.addConstant(name + "_scale", Tensor.ofFloats(p.paramShape(), p.scale()));
      b.addConstant(name + "_zero_point", pack(p.type(), p.paramShape(), p.zeroPoint()));
      Map<String, Attribute> attrs = new LinkedHashMap<>();
      int rank = w.rank();
      if (!(p.granularity() instanceof Granularity.PerTensor)) {
        attrs.put("axis", Attribute.of("axis", (long) p.granularity().axis(rank)));
      }
      if (p.granularity() instanceof Granularity.PerBlock block) {
        attrs.put("block_size", Attribute.of("block_size", (long) block.blockSize()));
      }
      dequantize.put(name, new Node(name + "/DequantizeLinear", "DequantizeLinear", "",
          List.of(name + "_quantized", name + "_scale", name + "_zero_point"), List.of(name), attrs));
    }
    dequantize.values().forEach(b::addNode);
    return b.build();
  }
}
