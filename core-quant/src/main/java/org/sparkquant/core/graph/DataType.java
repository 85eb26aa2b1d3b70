package org.sparkquant.core.graph;

import java.util.HashMap;
import java.util.Map;

/** Element types of tensors, numbered as in ONNX's {@code TensorProto.DataType}. */
public enum DataType {
  FLOAT(1, 32),
  UINT8(2, 8),
  INT8(3, 8),
  UINT16(4, 16),
  INT16(5, 16),
  INT32(6, 32),
  INT64(7, 64),
  STRING(8, 0),
  BOOL(9, 8),
  FLOAT16(10, 16),
  DOUBLE(11, 64),
  UINT32(12, 32),
  UINT64(13, 64),
  BFLOAT16(16, 16),
  FLOAT8E4M3FN(17, 8),
  FLOAT8E4M3FNUZ(18, 8),
  FLOAT8E5M2(19, 8),
  FLOAT8E5M2FNUZ(20, 8),
  UINT4(21, 4),
  INT4(22, 4),
  FLOAT4E2M1(23, 4),
  UINT2(25, 2),
  INT2(26, 2);

  private static final Map<Integer, DataType> BY_CODE = new HashMap<>();

  static {
    for (DataType t : values()) {
      BY_CODE.put(t.onnxCode, t);
    }
  }

  private final int onnxCode;
  private final int bits;

  DataType(int onnxCode, int bits) {
    this.onnxCode = onnxCode;
    this.bits = bits;
  }

  /** The number ONNX uses for this type. */
  public int onnxCode() {
    return onnxCode;
  }

  /** Bits per element as stored (4 and 2 for packed sub-byte types, 0 for strings). */
  public int bits() {
    return bits;
  }

  /** Whether this is a floating-point type of 16 bits or more, the types the executor computes in. */
  public boolean isFloatingPoint() {
    return this == FLOAT || this == DOUBLE || this == FLOAT16 || this == BFLOAT16;
  }

  /** The type with ONNX number {@code code}. */
  public static DataType fromOnnx(int code) {
    DataType t = BY_CODE.get(code);
    if (t == null) {
      throw new IllegalArgumentException("unknown ONNX tensor data type " + code);
    }
    return t;
  }
}
