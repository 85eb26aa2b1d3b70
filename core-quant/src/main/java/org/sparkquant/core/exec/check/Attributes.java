package org.sparkquant.core.exec.check;

import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.Node;

/** Attribute values of a node with ONNX defaults. */
final class Attributes {
  private Attributes() {}

  static long longOf(Node node, String name, long def) {
    Attribute a = node.attributes().get(name);
    return a == null ? def : (Long) a.value();
  }

  static float floatOf(Node node, String name, float def) {
    Attribute a = node.attributes().get(name);
    return a == null ? def : (Float) a.value();
  }

  static String stringOf(Node node, String name, String def) {
    Attribute a = node.attributes().get(name);
    return a == null ? def : (String) a.value();
  }

  /** {@code name} as longs, or {@code n} copies of {@code def} when absent. */
  static long[] longsOf(Node node, String name, int n, long def) {
    Attribute a = node.attributes().get(name);
    if (a != null) {
      return ((long[]) a.value()).clone();
    }
    long[] v = new long[n];
    java.util.Arrays.fill(v, def);
    return v;
  }
}
