package org.sparkquant.core.exec;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.ModelFormatException;
import org.sparkquant.core.graph.Node;

/**
 * Operator kernels by ONNX op type (default domain). {@link #standard()} holds every operator SparkQuant runs, from the
 * {@link OpLibrary} families found on the class path; adding one is registering one more {@link OpSpec}.
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

  /**
   * Every {@link OpLibrary} on this class's class path, registered in the order of their class names, so the
   * registry is the same whatever order the service files are found in.
   */
  private static OpRegistry createStandard() {
    List<OpLibrary> libraries = new ArrayList<>();
    ServiceLoader.load(OpLibrary.class, OpLibrary.class.getClassLoader()).forEach(libraries::add);
    if (libraries.isEmpty()) {
      throw new IllegalStateException(
          "no operator kernels found: META-INF/services/" + OpLibrary.class.getName()
              + " is missing from the class path; a fat jar must merge service files (ServicesResourceTransformer)");
    }
    libraries.sort(Comparator.comparing(l -> l.getClass().getName()));
    OpRegistry r = new OpRegistry();
    libraries.forEach(l -> l.register(r));
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
