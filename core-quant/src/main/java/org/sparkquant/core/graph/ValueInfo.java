package org.sparkquant.core.graph;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Declared type and shape of a named value.
 *
 * @param name value name
 * @param dataType element type, or null if not declared
 * @param dims declared dimensions, or null if the rank is not known
 */
public record ValueInfo(String name, DataType dataType, List<Dim> dims) {
  public ValueInfo {
    dims = dims == null ? null : List.copyOf(dims);
  }

  /** Static shape, or null when the rank or any dimension is unknown. */
  public long[] staticShape() {
    if (dims == null) {
      return null;
    }
    long[] shape = new long[dims.size()];
    for (int i = 0; i < shape.length; i++) {
      if (!dims.get(i).isKnown()) {
        return null;
      }
      shape[i] = dims.get(i).size();
    }
    return shape;
  }

  /** Shape as text, e.g. {@code [batch,128,384]}, or {@code ?} when unknown. */
  public String shapeText() {
    return dims == null ? "?" : dims.stream().map(Dim::toString).collect(Collectors.joining(",", "[", "]"));
  }
}
