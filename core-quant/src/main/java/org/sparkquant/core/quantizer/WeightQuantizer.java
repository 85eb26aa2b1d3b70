package org.sparkquant.core.quantizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.export.FrozenQuantization;
import org.sparkquant.core.export.MatMulNBitsWeights;
import org.sparkquant.core.export.OnnxQdqExporter;
import org.sparkquant.core.export.QuantizedWeights;
import org.sparkquant.core.fusion.Chains;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.Packing;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.ScalarQuantizer;
import org.sparkquant.core.passes.BatchNormFolding;

/**
 * Data-free weight quantization (round to nearest): the weights of Conv, ConvTranspose, Gemm and MatMul nodes get
 * parameters from their own min/max, per the config and its rules, and the graph stores them quantized
 * ({@link OnnxQdqExporter}, {@link QuantizedWeights}). Graph mode folds BatchNorm first, so folded weights are what gets quantized.
 */
public final class WeightQuantizer {
  /** Ops whose second input is a weight. */
  public static final Set<String> WEIGHTED_OPS = Chains.WEIGHTED_OPS;

  private WeightQuantizer() {}

  /** One quantized weight, for reports. */
  public record LayerReport(
      String node, String op, String weight, String spec, double sqnrDb, long bytesBefore, long bytesAfter) {}

  /** The quantized graph and what happened to each weight. */
  public record Result(Graph graph, List<LayerReport> layers) {}

  /**
   * The graph after graph-mode passes, with the parameters chosen for each weight (not yet applied) and the codes
   * they give, packed as {@link QuantizedWeights} stores them, so that storing the weights does not quantize again.
   */
  public record Plan(
      Graph graph, Map<String, QuantParams> params, Map<String, Tensor> quantized, List<LayerReport> layers) {}

  /** Quantizes the weights and stores them quantized behind DequantizeLinear. */
  public static Result quantize(Graph graph, QuantizerConfig config) {
    return quantize(graph, config, false);
  }

  /**
   * As {@link #quantize(Graph, QuantizerConfig)}; with {@code matMulNBits}, 4-bit blocked MatMul weights become ONNX
   * Runtime's {@code MatMulNBits} instead ({@link MatMulNBitsWeights}).
   */
  public static Result quantize(Graph graph, QuantizerConfig config, boolean matMulNBits) {
    Plan plan = plan(graph, config);
    FrozenQuantization frozen = FrozenQuantization.weightsOnly(plan.graph(), plan.params(), plan.quantized());
    return new Result(new OnnxQdqExporter(matMulNBits).export(frozen), plan.layers());
  }

  /**
   * Chooses parameters for every weight the config selects and quantizes it once (for the report and for storing),
   * without changing the graph's weights.
   */
  public static Plan plan(Graph graph, QuantizerConfig config) {
    Graph g = graphFor(graph, config);
    Map<String, QuantParams> params = new LinkedHashMap<>();
    Map<String, Tensor> quantized = new LinkedHashMap<>();
    List<LayerReport> reports = new ArrayList<>();
    for (Target t : targets(g, config)) {
      Tensor w = g.constants().get(t.weight());
      QuantParams p = rangeParams(w, t.spec(), t.spec().granularity(t.outAxis(), t.inAxis()));
      float[] v = w.floats();
      int[] codes = ScalarQuantizer.quantize(v, w.shape(), p);
      params.put(t.weight(), p);
      quantized.put(t.weight(), QuantizedWeights.pack(p.type(), w.shape(), codes));
      reports.add(report(t.node(), t.weight(), w.shape(), v, codes, t.spec(), p));
    }
    return new Plan(g, params, quantized, reports);
  }

  /**
   * One weight the config selects: the first node that reads it, its spec after the rules, and which axes of the
   * weight hold output channels and input features.
   */
  public record Target(Node node, String weight, WeightSpec spec, int outAxis, int inAxis) {}

  /**
   * The graph weights are quantized in: {@code graph} after graph-mode passes (BatchNorm folding), once every rule was
   * checked to match some node.
   */
  public static Graph graphFor(Graph graph, QuantizerConfig config) {
    for (LayerRule rule : config.rules()) {
      if (graph.nodes().stream().noneMatch(rule::matches)) {
        throw new IllegalArgumentException("rule " + rule.describe() + " matches no node of the model");
      }
    }
    return config.mode() == QuantizerConfig.ExecutionMode.GRAPH ? new BatchNormFolding().apply(graph) : graph;
  }

  /** The weights of {@code g} (a {@link #graphFor} result) the config quantizes, in node order. */
  public static List<Target> targets(Graph g, QuantizerConfig config) {
    List<Target> out = new ArrayList<>();
    Set<String> seen = new java.util.HashSet<>();
    for (Node n : g.nodes()) {
      if (!WEIGHTED_OPS.contains(n.opType()) || !n.domain().isEmpty() || n.inputs().size() < 2) {
        continue;
      }
      String name = n.inputs().get(1);
      Tensor w = g.constants().get(name);
      if (w == null || w.dataType() != DataType.FLOAT || w.rank() < 2 || seen.contains(name)) {
        continue;
      }
      WeightSpec spec = specFor(n, config);
      if (spec == null) {
        continue;
      }
      seen.add(name);
      int[] axes = axes(n, w.rank());
      out.add(new Target(n, name, spec, axes[0], axes[1]));
    }
    return out;
  }

  /** The spec the rules give {@code n}: the last matching rule wins; null means skip. */
  static WeightSpec specFor(Node n, QuantizerConfig config) {
    WeightSpec spec = config.weights();
    for (LayerRule rule : config.rules()) {
      if (rule.matches(n)) {
        spec = rule.weights();
      }
    }
    return spec;
  }

  /** {output-channel axis, input axis} of the weight of {@code n}. */
  static int[] axes(Node n, int rank) {
    return switch (n.opType()) {
      case "Conv" -> new int[] {0, 1};
      case "ConvTranspose" -> new int[] {1, 0};
      case "Gemm" -> {
        Attribute t = n.attributes().get("transB");
        yield t != null && (Long) t.value() != 0 ? new int[] {0, 1} : new int[] {1, 0};
      }
      default -> new int[] {rank - 1, rank - 2};
    };
  }

  /** Round-to-nearest parameters for {@code w}: the min/max of each parameter position through the spec's scheme. */
  public static QuantParams rangeParams(Tensor w, WeightSpec spec, Granularity g) {
    return rangeParams(w.floats(), w.shape(), spec, g);
  }

  /** As {@link #rangeParams(Tensor, WeightSpec, Granularity)} for the values {@code v} of a weight of {@code shape}. */
  public static QuantParams rangeParams(float[] v, long[] shape, WeightSpec spec, Granularity g) {
    long[] ps = g.paramShape(shape);
    int count = (int) Tensor.numElements(ps);
    float[] min = new float[count];
    float[] max = new float[count];
    // elements in row-major order as [outer, axis, inner]; the parameter position of (o, j, i) is that of
    // ScalarQuantizer.paramIndex, computed per row rather than with divisions per element
    int axis = g instanceof Granularity.PerTensor ? -1 : g.axis(shape.length);
    long inner = 1;
    for (int d = axis + 1; d < shape.length; d++) {
      inner *= shape[d];
    }
    long len = axis < 0 ? 1 : shape[axis];
    long outer = v.length / (inner * len);
    int block = g instanceof Granularity.PerBlock b ? b.blockSize() : 1;
    long blocks = (len + block - 1) / block;
    int pos = 0;
    for (long o = 0; o < outer; o++) {
      for (long j = 0; j < len; j++) {
        int base = (int) (g instanceof Granularity.PerBlock ? (o * blocks + j / block) * inner : j);
        boolean perElement = g instanceof Granularity.PerBlock;
        for (long i = 0; i < inner; i++, pos++) {
          int k = axis < 0 ? 0 : perElement ? base + (int) i : base;
          min[k] = Math.min(min[k], v[pos]);
          max[k] = Math.max(max[k], v[pos]);
        }
      }
    }
    return spec.scheme().params(spec.type(), g, ps, min, max);
  }

  /** The report of weight {@code name} of node {@code n}, quantized to {@code codes} with {@code p}. */
  public static LayerReport report(
      Node n, String name, long[] shape, float[] v, int[] codes, WeightSpec spec, QuantParams p) {
    float[] fq = ScalarQuantizer.dequantize(codes, shape, p);
    double signal = 0;
    double noise = 0;
    for (int i = 0; i < v.length; i++) {
      signal += (double) v[i] * v[i];
      noise += (double) (v[i] - fq[i]) * (v[i] - fq[i]);
    }
    double sqnr = noise == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(signal / noise);
    long params = p.scale().length;
    long after = Packing.byteCount(spec.type(), v.length) + 4 * params + Packing.byteCount(spec.type(), (int) params);
    return new LayerReport(n.name(), n.opType(), name, spec.describe(), sqnr, 4L * v.length, after);
  }
}
