/**
 * Graph-to-graph transformations ({@link org.sparkquant.core.graph.GraphPass}es) that prepare and rewrite models:
 * constant folding (run on the executor) and pruning, BatchNorm folding into the preceding convolution, and opset
 * upgrade. Storing weights quantized is export, in {@code org.sparkquant.core.export}.
 */
package org.sparkquant.core.passes;
