package org.sparkquant.core.graph;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operator application. Input names may be empty strings for omitted optional inputs, as in ONNX.
 *
 * @param name unique node name (the name per-layer rules match)
 * @param opType operator type, e.g. {@code Conv}
 * @param domain operator set domain, empty for the default ONNX domain
 * @param inputs input value names in order
 * @param outputs output value names in order
 * @param attributes attributes by name, in declaration order
 */
public record Node(
    String name,
    String opType,
    String domain,
    List<String> inputs,
    List<String> outputs,
    Map<String, Attribute> attributes) {

  public Node {
    domain = domain == null ? "" : domain;
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    attributes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
  }

  /** Convenience for nodes built in code. */
  public static Node of(String name, String opType, List<String> inputs, List<String> outputs, Attribute... attrs) {
    Map<String, Attribute> map = new LinkedHashMap<>();
    for (Attribute a : attrs) {
      map.put(a.name(), a);
    }
    return new Node(name, opType, "", inputs, outputs, map);
  }

  /** {@code opType} qualified by its domain when the domain is not the default one. */
  public String qualifiedOpType() {
    return domain.isEmpty() || domain.equals("ai.onnx") ? opType : domain + ":" + opType;
  }

  /** Short description for error messages: {@code node 'name' (OpType)}. */
  public String describe() {
    return "node '" + name + "' (" + qualifiedOpType() + ")";
  }
}
