/**
 * Quantization numerics on engine arrays: quantize / dequantize / fake-quantize with broadcast parameters, and the
 * trainable fake quantizer (straight-through estimator, learned scale and zero point) that quantization-aware
 * training differentiates. Results match the plain-Java reference in {@link org.sparkquant.core.numerics} and ONNX
 * Runtime's QuantizeLinear/DequantizeLinear bit for bit.
 */
package org.sparkquant.core.exec.quant;
