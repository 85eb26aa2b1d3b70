package org.sparkquant.core.export;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.GraphPass;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.ScalarQuantizer;

/**
 * Rewrites 4-bit weight-only MatMuls as ONNX Runtime's {@code com.microsoft:MatMulNBits}: a 2-D weight {@code W [K,
 * N]} quantized to symmetric INT4 in blocks along K is stored transposed as {@code uint8 [N, blocks, block/2]} (codes
 * offset by 8, the operator's default zero point, two per byte, low nibble first) with {@code scales [N, blocks]}.
 * Weights that do not fit (other types or layouts, or used by other nodes) are left for {@link QuantizedWeights}.
 */
public final class MatMulNBitsWeights implements GraphPass {
  /** The contrib operator's domain. */
  public static final String DOMAIN = "com.microsoft";

  private final Map<String, QuantParams> weights;

  public MatMulNBitsWeights(Map<String, QuantParams> weights) {
    // In the given order: Map.copyOf would iterate in an order that differs from JVM to JVM.
    this.weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
  }

  /** Whether {@code p} for a weight of {@code shape} can be stored as MatMulNBits. */
  public static boolean fits(QuantParams p, long[] shape) {
    return p.type() == QuantType.INT4 && shape.length == 2 && p.granularity() instanceof Granularity.PerBlock b
        && b.axis() == 0 && Integer.bitCount(b.blockSize()) == 1 && b.blockSize() >= 16
        && java.util.Arrays.stream(p.zeroPoint()).allMatch(z -> z == 0);
  }

  /** The weights of {@code graph} this pass will rewrite: those that fit and feed only MatMuls as their B. */
  public Map<String, QuantParams> rewritten(Graph graph) {
    Map<String, QuantParams> out = new LinkedHashMap<>();
    weights.forEach((name, p) -> {
      Tensor w = graph.constants().get(name);
      boolean onlyMatMulB = graph.nodes().stream().filter(n -> n.inputs().contains(name)).allMatch(n ->
          n.opType().equals("MatMul") && n.domain().isEmpty() && n.inputs().indexOf(name) == 1);
      if (w != null && fits(p, w.shape()) && onlyMatMulB) {
        out.put(name, p);
      }
    });
    return out;
  }

  @Override
  public Graph apply(Graph graph) {
    Map<String, QuantParams> chosen = rewritten(graph);
    if (chosen.isEmpty()) {
      return graph;
    }
    Graph.Builder b = graph.toBuilder().clearNodes().opset(DOMAIN, 1);
    for (Map.Entry<String, QuantParams> e : chosen.entrySet()) {
      String name = e.getKey();
      Tensor w = graph.constants().get(name);
      QuantParams p = e.getValue();
      int block = ((Granularity.PerBlock) p.granularity()).blockSize();
      long k = w.shape()[0];
      long n = w.shape()[1];
      int blocks = (int) ((k + block - 1) / block);
      int[] codes = ScalarQuantizer.quantize(w.floats(), w.shape(), p);
      byte[] packed = new byte[(int) (n * blocks * block / 2)];
      float[] scales = new float[(int) (n * blocks)];
      float[] s = p.scale();
      for (int col = 0; col < n; col++) {
        for (int blk = 0; blk < blocks; blk++) {
          scales[col * blocks + blk] = s[(int) (blk * n + col)];
          for (int j = 0; j < block; j++) {
            long row = (long) blk * block + j;
            int u = row < k ? codes[(int) (row * n + col)] + 8 : 8;
            int at = (col * blocks + blk) * block + j;
            packed[at / 2] |= (byte) (at % 2 == 0 ? u : u << 4);
          }
        }
      }
      b.removeConstant(name);
      b.addConstant(name + "_nbits", new Tensor(DataType.UINT8, new long[] {n, blocks, block / 2},
          ByteBuffer.wrap(packed)));
      b.addConstant(name + "_nbits_scales", Tensor.ofFloats(new long[] {n, blocks}, scales));
    }
    for (Node node : graph.nodes()) {
      String w = node.inputs().size() > 1 ? node.inputs().get(1) : "";
      if (!node.opType().equals("MatMul") || !chosen.containsKey(w)) {
        b.addNode(node);
        continue;
      }
      Tensor t = graph.constants().get(w);
      Map<String, Attribute> attrs = new LinkedHashMap<>();
      attrs.put("K", Attribute.of("K", t.shape()[0]));
      attrs.put("N", Attribute.of("N", t.shape()[1]));
      attrs.put("bits", Attribute.of("bits", 4L));
      attrs.put("block_size", Attribute.of("block_size",
          (long) ((Granularity.PerBlock) chosen.get(w).granularity()).blockSize()));
      b.addNode(new Node(node.name(), "MatMulNBits", DOMAIN,
          List.of(node.inputs().get(0), w + "_nbits", w + "_nbits_scales"), node.outputs(), attrs));
    }
    return b.build();
  }
}
