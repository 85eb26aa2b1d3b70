package org.sparkquant.core.exec;

import java.util.Map;
import org.sparkquant.core.graph.Attribute;

/** A registered operator: its kernel and the attributes it reads, with their kinds (checked at import). */
public record OpSpec(String opType, OpKernel kernel, Map<String, Attribute.Kind> attributes) {
  public OpSpec {
    attributes = Map.copyOf(attributes);
  }
}
