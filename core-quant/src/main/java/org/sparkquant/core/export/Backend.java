package org.sparkquant.core.export;

/**
 * What a quantized model is exported as; {@link Exporters#of(Backend)} gives each one's {@link Exporter}. Core ML
 * will join ONNX QDQ here.
 */
public enum Backend {
  /** ONNX with quantized weights behind DequantizeLinear and QuantizeLinear → DequantizeLinear on activations. */
  ONNX_QDQ
}
