package org.sparkquant.core.graph;

/** A transformation that derives a new graph; graphs are immutable, so passes compose freely. */
@FunctionalInterface
public interface GraphPass {
  Graph apply(Graph graph);
}
