/**
 * Graph-to-graph transformations ({@link org.sparkquant.core.graph.GraphPass}es) that prepare and rewrite models:
 * constant folding (run on the executor) and pruning, BatchNorm folding into the preceding convolution, opset upgrade,
 * and storing weights quantized, as QDQ ({@link org.sparkquant.core.passes.QuantizedWeights}) or, for 4-bit
 * MatMul weights, as MatMulNBits ({@link org.sparkquant.core.passes.MatMulNBitsWeights}).
 */
package org.sparkquant.core.passes;
