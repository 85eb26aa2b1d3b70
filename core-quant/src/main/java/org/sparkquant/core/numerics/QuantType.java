package org.sparkquant.core.numerics;

import org.sparkquant.core.graph.DataType;

/**
 * A quantized element type: integer types with their ranges, and the small float types with their largest finite
 * value. Zero points apply to integer types only.
 */
public enum QuantType {
  INT8(DataType.INT8, -128, 127),
  UINT8(DataType.UINT8, 0, 255),
  INT16(DataType.INT16, -32768, 32767),
  UINT16(DataType.UINT16, 0, 65535),
  INT4(DataType.INT4, -8, 7),
  UINT4(DataType.UINT4, 0, 15),
  INT2(DataType.INT2, -2, 1),
  UINT2(DataType.UINT2, 0, 3),
  /** FP8 with 4 exponent bits (bias 7), 3 mantissa bits, no infinities; largest finite 448. */
  FP8_E4M3FN(DataType.FLOAT8E4M3FN, -448, 448),
  /** FP8 with 5 exponent bits (bias 15), 2 mantissa bits, with infinities; largest finite 57344. */
  FP8_E5M2(DataType.FLOAT8E5M2, -57344, 57344),
  /** FP4 with 2 exponent bits, 1 mantissa bit: magnitudes 0, 0.5, 1, 1.5, 2, 3, 4, 6. */
  FP4_E2M1(DataType.FLOAT4E2M1, -6, 6);

  private final DataType onnxType;
  private final int min;
  private final int max;

  QuantType(DataType onnxType, int min, int max) {
    this.onnxType = onnxType;
    this.min = min;
    this.max = max;
  }

  /** The quantized type stored as ONNX element type {@code t}, or null if {@code t} is not one. */
  public static QuantType of(DataType t) {
    for (QuantType q : values()) {
      if (q.onnxType == t) {
        return q;
      }
    }
    return null;
  }

  /** The ONNX element type that stores this type. */
  public DataType onnxType() {
    return onnxType;
  }

  /** Smallest code (integer types) or most negative finite value (float types). */
  public int min() {
    return min;
  }

  /** Largest code (integer types) or largest finite value (float types). */
  public int max() {
    return max;
  }

  public boolean isFloat() {
    return this == FP8_E4M3FN || this == FP8_E5M2 || this == FP4_E2M1;
  }

  public boolean isSigned() {
    return min < 0;
  }

  /** Bits per stored element. */
  public int bits() {
    return onnxType.bits();
  }
}
