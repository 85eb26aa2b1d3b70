package org.sparkquant.core.export;

import org.sparkquant.core.graph.Graph;

/** Writes frozen quantization parameters as a model one runtime executes; one implementation per {@link Backend}. */
public interface Exporter {
  /** The exported model of {@code quantization}; the same input gives the same graph, bit for bit. */
  Graph export(FrozenQuantization quantization);
}
