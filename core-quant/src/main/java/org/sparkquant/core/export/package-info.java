/**
 * Export: frozen quantization parameters written as a model a runtime executes. A {@link
 * org.sparkquant.core.export.FrozenQuantization} (graph, weight parameters and codes, activation parameters,
 * metadata) goes to the {@link org.sparkquant.core.export.Exporter} that {@link
 * org.sparkquant.core.export.Exporters#of} gives for a {@link org.sparkquant.core.export.Backend}. ONNX QDQ ({@link
 * org.sparkquant.core.export.OnnxQdqExporter}) stores weights quantized behind DequantizeLinear ({@link
 * org.sparkquant.core.export.QuantizedWeights}) or, for 4-bit MatMul weights, as MatMulNBits ({@link
 * org.sparkquant.core.export.MatMulNBitsWeights}), and activation quantizers as QuantizeLinear → DequantizeLinear.
 * Nothing here depends on how the parameters were found (round to nearest, calibration, GPTQ or training).
 */
package org.sparkquant.core.export;
