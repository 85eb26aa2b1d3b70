/**
 * The graph IR: named values, nodes with typed attributes, constant tensors, and graphs kept in topological order,
 * and {@link org.sparkquant.core.graph.GraphPass}, the shape of every graph-to-graph transformation. Everything here
 * is immutable and free of any engine; the executor, the passes and the ONNX reader/writer build on it.
 */
package org.sparkquant.core.graph;
