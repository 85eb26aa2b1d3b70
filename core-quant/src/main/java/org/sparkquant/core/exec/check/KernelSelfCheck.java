package org.sparkquant.core.exec.check;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.exec.EngineArrays;
import org.sparkquant.core.exec.KernelContext;
import org.sparkquant.core.exec.KernelFusion;
import org.sparkquant.core.exec.OpRegistry;
import org.sparkquant.core.exec.ShapeTrace;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;

/**
 * Runs every distinct heavy-kernel configuration of a model once through the engine and compares it with a
 * {@link ReferenceKernel}, so that a CPU on which the engine computes wrong values is refused before any real work.
 *
 * <p>A configuration is an operator with its attributes and input shapes, as the model runs on inputs of the given
 * shapes (the executor's fused kernels included). Inputs that are model constants keep their values; the others are
 * uniform random in [-1, 1]. Every output channel (matrix column) is compared at several positions, corners first;
 * a value passes when it is finite and within {@value #TOLERANCE} of the magnitude of its terms. Configurations that
 * passed are remembered for the life of the JVM, so each is checked once per JVM whatever the models.
 */
public final class KernelSelfCheck {
  /** Allowed difference, relative to {@code Σ|x·w| + |b|} of the compared output. */
  public static final double TOLERANCE = 2e-4;

  /** Positions compared per output channel (at least two, fewer than this where the budget runs short). */
  static final int POSITIONS_PER_CHANNEL = 8;

  /** Upper bound on compared positions per configuration. */
  static final int MAX_POSITIONS = 16_384;

  /** Multiply-adds the reference may spend on one configuration, beyond the two positions every channel gets. */
  static final long TERM_BUDGET = 1 << 18;

  /** Positions per channel that ask for every position, up to {@value #MAX_POSITIONS}. */
  static final int EVERY = Integer.MAX_VALUE;

  private static final Set<String> PASSED = ConcurrentHashMap.newKeySet();

  private KernelSelfCheck() {}

  /** What a check covered and cost. */
  public record Result(int configurations, int checked, double traceSeconds, double seconds, CpuInfo cpu) {
    /** One line for logs and consoles. */
    public String summary() {
      return String.format(java.util.Locale.ROOT,
          "engine self-check: %d heavy-kernel configurations (%d checked now) agree with the plain-Java reference;"
              + " %.2f s (trial run %.2f s, checks %.2f s) on %s", configurations, checked, seconds, traceSeconds,
          seconds - traceSeconds, cpu);
    }
  }

  /**
   * Checks {@code graph}'s heavy kernels on inputs of {@code inputShapes} (by graph input name; open dimensions of
   * inputs not named take {@link ShapeTrace}'s defaults). The shapes come from one trial run of the model on zeros,
   * which also proves that the model runs on inputs of these shapes: its errors are the executor's
   * {@link IllegalArgumentException}s.
   *
   * @throws EngineFaultException naming the first node the engine computes wrongly, the CPU and its flags
   */
  public static Result verify(Graph graph, Map<String, long[]> inputShapes) {
    return verify(graph, inputShapes, OpRegistry.standard(), POSITIONS_PER_CHANNEL);
  }

  /** As {@link #verify(Graph, Map)} with the kernels of {@code registry}, comparing {@code perChannel} positions. */
  static Result verify(Graph graph, Map<String, long[]> inputShapes, OpRegistry registry, int perChannel) {
    // perChannel == EVERY compares every position up to MAX_POSITIONS, whatever the term budget
    long started = System.nanoTime();
    CpuInfo cpu = CpuInfo.current();
    Map<String, long[]> shapes;
    try (DjlExecutor exec = new DjlExecutor(graph, registry)) {
      shapes = ShapeTrace.trace(exec, ShapeTrace.inputShapes(graph.inputs(), inputShapes));
    }
    double traceSeconds = (System.nanoTime() - started) / 1e9;
    Map<String, Node> configurations = new LinkedHashMap<>();
    for (Graph g : List.of(graph, new KernelFusion(Set.of()).apply(graph))) {
      for (Node n : g.nodes()) {
        if (ReferenceKernels.of(n).isPresent() && isFloat(n, graph, shapes)) {
          configurations.putIfAbsent(key(n, shapes), n);
        }
      }
    }
    int checked = 0;
    for (Map.Entry<String, Node> c : configurations.entrySet()) {
      String key = registry == OpRegistry.standard() ? c.getKey() : null;
      if (key == null || !PASSED.contains(key)) {
        check(c.getValue(), c.getKey(), graph, shapes, registry, perChannel, cpu);
        if (key != null) {
          PASSED.add(key);
        }
        checked++;
      }
    }
    return new Result(configurations.size(), checked, traceSeconds, (System.nanoTime() - started) / 1e9, cpu);
  }

  /** Whether every input is a float tensor of known shape (constants of other types are left alone). */
  private static boolean isFloat(Node n, Graph graph, Map<String, long[]> shapes) {
    for (String in : n.inputs()) {
      if (in.isEmpty()) {
        continue;
      }
      Tensor t = graph.constants().get(in);
      if ((t != null && t.dataType() != DataType.FLOAT) || shapes.get(in) == null) {
        return false;
      }
    }
    return true;
  }

  /** Operator, attributes and input shapes: what decides the engine's code path. */
  static String key(Node n, Map<String, long[]> shapes) {
    Map<String, String> attrs = new TreeMap<>();
    for (Attribute a : n.attributes().values()) {
      Object v = a.value();
      attrs.put(a.name(), v instanceof long[] l ? Arrays.toString(l) : v instanceof float[] f ? Arrays.toString(f)
          : String.valueOf(v));
    }
    return n.qualifiedOpType() + attrs + n.inputs().stream()
        .map(i -> i.isEmpty() ? "-" : Arrays.toString(shapes.get(i))).collect(Collectors.joining(",", "(", ")"));
  }

  private static void check(Node node, String key, Graph graph, Map<String, long[]> shapes, OpRegistry registry,
      int perChannel, CpuInfo cpu) {
    ReferenceKernel reference = ReferenceKernels.of(node).orElseThrow();
    Random random = new Random(key.hashCode());
    Operand[] operands = new Operand[node.inputs().size()];
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), DjlExecutor.ENGINE)) {
      NDArray[] args = new NDArray[operands.length];
      for (int i = 0; i < operands.length; i++) {
        String name = node.inputs().get(i);
        if (name.isEmpty()) {
          continue;
        }
        Tensor constant = graph.constants().get(name);
        long[] shape = shapes.get(name);
        float[] data = constant != null ? constant.floats() : uniform(random, Tensor.numElements(shape));
        operands[i] = new Operand(data, shape);
        args[i] = EngineArrays.engineOwned(m.create(data, new Shape(shape)));
      }
      KernelContext ctx =
          new KernelContext(node, graph.defaultOpset(), m, KernelContext.constantTypes(node, graph.constants()));
      NDArray out = registry.spec(node).kernel().run(ctx, args)[0];
      long[] outShape = out.getShape().getShape();
      float[] engine = out.toFloatArray();
      int channelAxis = reference.channelAxis(outShape.length);
      long termsPerOutput = Math.max(1, Tensor.numElements(shapes.get(node.inputs().get(1))) / outShape[channelAxis]);
      int affordable = (int) Math.min(perChannel, TERM_BUDGET / termsPerOutput / outShape[channelAxis]);
      long[] positions = positions(outShape, channelAxis, perChannel == EVERY ? perChannel : affordable, random);
      Sampled expected = reference.compute(ctx, operands, outShape, positions);
      for (int p = 0; p < positions.length; p++) {
        double want = expected.values()[p];
        float got = engine[(int) positions[p]];
        double allowed = TOLERANCE * expected.magnitudes()[p] + Float.MIN_NORMAL;
        if (!Float.isFinite(got) || Math.abs(got - want) > allowed) {
          throw new EngineFaultException(String.format(java.util.Locale.ROOT,
              "the engine computes %s wrongly on this CPU: output %s is %s where the plain-Java reference gives %.6g"
                  + " (inputs %s; CPU %s). Nothing was computed with it. Run on another machine type, or cap the"
                  + " engine's instruction set (environment ONEDNN_MAX_CPU_ISA=AVX2, on Spark executors"
                  + " spark.executorEnv.ONEDNN_MAX_CPU_ISA=AVX2); spark.sparkquant.selfCheck=false skips this check",
              node.describe(), Arrays.toString(unflatten(positions[p], outShape)), got, want,
              node.inputs().stream().filter(i -> !i.isEmpty()).map(i -> Arrays.toString(shapes.get(i)))
                  .collect(Collectors.joining(" ")),
              cpu));
        }
      }
    }
  }

  private static float[] uniform(Random random, long count) {
    float[] v = new float[Math.toIntExact(count)];
    for (int i = 0; i < v.length; i++) {
      v[i] = random.nextFloat() * 2 - 1;
    }
    return v;
  }

  /**
   * Output positions to compare: for every index of {@code channelAxis}, the first and last positions of the other
   * axes (one of them, alternately, where there are too many channels), then random ones: {@code perChannel} per channel, fewer where that would exceed {@value #MAX_POSITIONS}
   * in all, and every position where there are no more than that.
   */
  static long[] positions(long[] shape, int channelAxis, int perChannel, Random random) {
    long total = Tensor.numElements(shape);
    long channels = shape[channelAxis];
    long inner = 1;
    for (int i = channelAxis + 1; i < shape.length; i++) {
      inner *= shape[i];
    }
    long outer = total / (channels * inner);
    long others = outer * inner;
    long each = Math.min(others, Math.max(1, Math.min(perChannel, MAX_POSITIONS / channels)));
    if (others <= each) {
      return java.util.stream.LongStream.range(0, total).toArray();
    }
    List<Long> chosen = new ArrayList<>();
    for (long c = 0; c < channels; c++) {
      for (int j = 0; j < each; j++) {
        long first = each == 1 && c % 2 == 1 ? others - 1 : 0;
        long other = j == 0 ? first : j == 1 ? others - 1 : (long) (random.nextDouble() * others);
        long o = other / inner;
        long i = other % inner;
        chosen.add((o * channels + c) * inner + i);
      }
    }
    return chosen.stream().mapToLong(Long::longValue).toArray();
  }

  private static long[] unflatten(long flat, long[] shape) {
    long[] idx = new long[shape.length];
    for (int i = shape.length - 1; i >= 0; i--) {
      idx[i] = flat % shape[i];
      flat /= shape[i];
    }
    return idx;
  }
}
