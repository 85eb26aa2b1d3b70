/**
 * Quantization numerics in plain Java: target types, granularities, schemes, quantization parameters, packing of
 * sub-byte codes, small floats (FP8, FP4), and quantize / dequantize / fake-quantize as a scalar reference. Results
 * match ONNX Runtime's QuantizeLinear/DequantizeLinear bit for bit (round half to even, saturation to the type's
 * range). The same operations on engine arrays live in {@code org.sparkquant.core.exec.quant}.
 */
package org.sparkquant.core.numerics;
