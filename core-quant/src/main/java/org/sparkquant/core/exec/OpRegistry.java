package org.sparkquant.core.exec;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.sparkquant.core.exec.ops.ActivationOps;
import org.sparkquant.core.exec.ops.ContribOps;
import org.sparkquant.core.exec.ops.ConvOps;
import org.sparkquant.core.exec.ops.ElementwiseOps;
import org.sparkquant.core.exec.ops.FusedOps;
import org.sparkquant.core.exec.ops.MatrixOps;
import org.sparkquant.core.exec.ops.NormalizationOps;
import org.sparkquant.core.exec.ops.PoolOps;
import org.sparkquant.core.exec.ops.QuantOps;
import org.sparkquant.core.exec.ops.ReductionOps;
import org.sparkquant.core.exec.ops.ResizeOp;
import org.sparkquant.core.exec.ops.ShapeOps;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.ModelFormatException;
import org.sparkquant.core.graph.Node;

/**
 * Operator kernels by ONNX op type (default domain). {@link #standard()} holds every operator SparkQuant runs; adding
 * one is registering one more {@link OpSpec}.
 */
public final class OpRegistry {
  /** Lowest and highest default-domain operator set versions whose models are accepted. */
  public static final long MIN_OPSET = 7;

  public static final long MAX_OPSET = 25;

  /** Domain of SparkQuant's own kernels (fused patterns the executor creates for itself). */
  public static final String SPARKQUANT_DOMAIN = "ai.sparkquant";

  private static final OpRegistry STANDARD = createStandard();

  private final Map<String, OpSpec> specs = new LinkedHashMap<>();

  /** The registry with all built-in kernels (shared, read-only after creation). */
  public static OpRegistry standard() {
    return STANDARD;
  }

  private static OpRegistry createStandard() {
    OpRegistry r = new OpRegistry();
    ElementwiseOps.register(r);
    ActivationOps.register(r);
    MatrixOps.register(r);
    ConvOps.register(r);
    PoolOps.register(r);
    NormalizationOps.register(r);
    ReductionOps.register(r);
    ShapeOps.register(r);
    ResizeOp.register(r);
    QuantOps.register(r);
    ContribOps.register(r);
    FusedOps.register(r);
    return r;
  }

  /**
   * Registers a kernel that reads the given attributes (name, kind pairs). {@code opType} is a default-domain op
   * type, or {@code domain:OpType} for another domain.
   */
  public OpRegistry register(String opType, OpKernel kernel, Object... attributeKinds) {
    Map<String, Attribute.Kind> attrs = new LinkedHashMap<>();
    for (int i = 0; i < attributeKinds.length; i += 2) {
      attrs.put((String) attributeKinds[i], (Attribute.Kind) attributeKinds[i + 1]);
    }
    if (specs.putIfAbsent(opType, new OpSpec(opType, kernel, attrs)) != null) {
      throw new IllegalStateException("operator " + opType + " is registered twice");
    }
    return this;
  }

  /** The spec for {@code node}, or an error naming the node when its operator is unknown. */
  public OpSpec spec(Node node) {
    OpSpec spec = specs.get(isDefaultDomain(node.domain()) ? node.opType() : node.domain() + ":" + node.opType());
    if (spec == null) {
      throw new ModelFormatException(
          node.describe() + ": unknown operator " + node.opType() + " in domain '"
              + (node.domain().isEmpty() ? "ai.onnx" : node.domain()) + "'");
    }
    return spec;
  }

  /** Op types this registry can run, sorted. */
  public Set<String> opTypes() {
    return Collections.unmodifiableSet(new TreeSet<>(specs.keySet()));
  }

  /**
   * Checks that every node can run: supported operator set, known operator, attributes of the declared kinds.
   *
   * @throws ModelFormatException naming the first offending node
   */
  public void validate(Graph graph) {
    for (Map.Entry<String, Long> e : graph.opsets().entrySet()) {
      if (isDefaultDomain(e.getKey()) && (e.getValue() < MIN_OPSET || e.getValue() > MAX_OPSET)) {
        throw new ModelFormatException(
            "unsupported opset " + e.getValue() + " for domain 'ai.onnx' (supported: " + MIN_OPSET + " to "
                + MAX_OPSET + ")");
      }
    }
    for (Node n : graph.nodes()) {
      OpSpec spec = spec(n);
      for (Attribute a : n.attributes().values()) {
        Attribute.Kind expected = spec.attributes().get(a.name());
        if (expected != null && expected != a.kind()) {
          throw new ModelFormatException(
              n.describe() + ": attribute '" + a.name() + "' must be " + expected + ", found " + a.kind());
        }
      }
    }
  }

  static boolean isDefaultDomain(String domain) {
    return domain.isEmpty() || domain.equals("ai.onnx");
  }
}
