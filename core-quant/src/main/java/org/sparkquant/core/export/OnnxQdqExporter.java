package org.sparkquant.core.export;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.numerics.Packing;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.passes.OpsetUpgrade;

/**
 * ONNX QDQ export: weights stored quantized behind DequantizeLinear ({@link QuantizedWeights}), each activation
 * quantizer as QuantizeLinear → DequantizeLinear feeding the nodes it was placed for, at the lowest opset that has
 * the types and layouts used. Optionally, 4-bit blocked MatMul weights become ONNX Runtime's {@code MatMulNBits}
 * ({@link MatMulNBitsWeights}) instead.
 */
public final class OnnxQdqExporter implements Exporter {
  private final boolean matMulNBits;

  /** Every weight as QDQ. */
  public OnnxQdqExporter() {
    this(false);
  }

  /** With {@code matMulNBits}, the weights that fit {@link MatMulNBitsWeights} are stored that way, the rest as QDQ. */
  public OnnxQdqExporter(boolean matMulNBits) {
    this.matMulNBits = matMulNBits;
  }

  @Override
  public Graph export(FrozenQuantization q) {
    Graph.Builder b = withQuantizedActivations(withQuantizedWeights(q), q.activations());
    q.metadata().forEach(b::metadata);
    return b.build();
  }

  /** The weights of {@code q} stored quantized in its graph; the activation quantizers are still Identity nodes. */
  private Graph withQuantizedWeights(FrozenQuantization q) {
    Graph g = q.graph();
    Map<String, QuantParams> rest = new LinkedHashMap<>(q.weights());
    if (matMulNBits) {
      MatMulNBitsWeights nbits = new MatMulNBitsWeights(rest);
      nbits.rewritten(g).keySet().forEach(rest::remove);
      g = nbits.apply(g);
    }
    return new QuantizedWeights(rest, q.weightCodes()).apply(g);
  }

  /** {@code g} with each activation quantizer's Identity node replaced by QuantizeLinear → DequantizeLinear. */
  private static Graph.Builder withQuantizedActivations(Graph g, Map<String, QuantParams> acts) {
    long opset = g.defaultOpset();
    for (QuantParams p : acts.values()) {
      opset = Math.max(opset, QuantizedWeights.requiredOpset(p));
    }
    g = new OpsetUpgrade(opset).apply(g);
    Graph.Builder b = g.toBuilder().clearNodes();
    for (Node n : g.nodes()) {
      String a = n.inputs().isEmpty() ? null : n.inputs().get(0);
      if (a == null || !acts.containsKey(a) || !n.name().equals(FrozenQuantization.quantizerNode(a))) {
        b.addNode(n);
        continue;
      }
      QuantParams p = acts.get(a);
      b.addConstant(a + "_scale", Tensor.ofFloats(new long[0], p.scale()));
      b.addConstant(a + "_zero_point", new Tensor(p.type().onnxType(), new long[0],
          ByteBuffer.wrap(Packing.pack(p.type(), p.zeroPoint()))));
      b.addNode(Node.of(a + "/QuantizeLinear", "QuantizeLinear", List.of(a, a + "_scale", a + "_zero_point"),
          List.of(a + "_quantized")));
      b.addNode(Node.of(a + "/DequantizeLinear", "DequantizeLinear",
          List.of(a + "_quantized", a + "_scale", a + "_zero_point"), List.of(FrozenQuantization.dequantized(a))));
    }
    return b;
  }
}
