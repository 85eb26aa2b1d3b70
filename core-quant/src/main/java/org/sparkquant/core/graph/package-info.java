/**
 * The graph IR: named values, nodes with typed attributes, constant tensors, and graphs kept in topological order.
 * Everything here is immutable and free of any engine; the executor and the ONNX reader/writer build on it.
 */
package org.sparkquant.core.graph;
