package org.sparkquant.core.quantizer;

/** What {@link PreparedModel#finalize(Backend)} produces. Core ML will join ONNX QDQ here. */
public enum Backend {
  /** ONNX with quantized weights behind DequantizeLinear and QuantizeLinear → DequantizeLinear on activations. */
  ONNX_QDQ
}
