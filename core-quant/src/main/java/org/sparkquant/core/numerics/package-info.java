/**
 * Quantization numerics: target types, granularities, quantization parameters, and quantize / dequantize /
 * fake-quantize both as a plain scalar reference and vectorized on engine arrays. Results match ONNX Runtime's
 * QuantizeLinear/DequantizeLinear bit for bit (round half to even, saturation to the type's range).
 */
package org.sparkquant.core.numerics;
