package org.sparkquant.core.graph;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An immutable constant tensor held on the Java heap (or in a mapped buffer): element type, shape and little-endian
 * bytes laid out as ONNX stores them in {@code raw_data} (sub-byte types packed, first value in the low bits).
 */
public final class Tensor {
  private final DataType dataType;
  private final long[] shape;
  private final ByteBuffer data;

  /**
   * @param dataType element type
   * @param shape dimensions (empty for a scalar)
   * @param data bytes in ONNX raw layout; must hold exactly {@link #byteSize(DataType, long[])} bytes
   */
  public Tensor(DataType dataType, long[] shape, ByteBuffer data) {
    this.dataType = dataType;
    this.shape = shape.clone();
    long expected = byteSize(dataType, shape);
    if (data.remaining() != expected) {
      throw new ModelFormatException(
          "tensor of type " + dataType + " and shape " + Arrays.toString(shape) + " needs " + expected
              + " bytes, found " + data.remaining());
    }
    this.data = data.slice().order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Bytes needed for a tensor of this type and shape in ONNX raw layout. */
  public static long byteSize(DataType dataType, long[] shape) {
    long n = numElements(shape);
    return (n * dataType.bits() + 7) / 8;
  }

  /** Product of the dimensions (1 for a scalar). */
  public static long numElements(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new ModelFormatException("negative dimension in shape " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  public static Tensor ofFloats(long[] shape, float... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return new Tensor(DataType.FLOAT, shape, b);
  }

  public static Tensor ofLongs(long[] shape, long... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return new Tensor(DataType.INT64, shape, b);
  }

  public static Tensor ofInts(long[] shape, int... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asIntBuffer().put(values);
    return new Tensor(DataType.INT32, shape, b);
  }

  public DataType dataType() {
    return dataType;
  }

  public long[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  public long numElements() {
    return numElements(shape);
  }

  /** A read-only little-endian view of the bytes, positioned at 0. */
  public ByteBuffer data() {
    return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Values as floats; for FLOAT tensors only. */
  public float[] floats() {
    require(DataType.FLOAT);
    float[] out = new float[(int) numElements()];
    data().asFloatBuffer().get(out);
    return out;
  }

  /** Values widened to long; for integer and bool tensors of 8 to 64 bits. */
  public long[] longs() {
    int n = (int) numElements();
    long[] out = new long[n];
    ByteBuffer b = data();
    for (int i = 0; i < n; i++) {
      out[i] =
          switch (dataType) {
            case INT64 -> b.getLong(i * 8);
            case INT32 -> b.getInt(i * 4);
            case UINT32 -> Integer.toUnsignedLong(b.getInt(i * 4));
            case INT16 -> b.getShort(i * 2);
            case UINT16 -> Short.toUnsignedLong(b.getShort(i * 2));
            case INT8 -> b.get(i);
            case UINT8, BOOL -> Byte.toUnsignedLong(b.get(i));
            case UINT64 -> b.getLong(i * 8);
            default -> throw new IllegalStateException("tensor of type " + dataType + " has no integer values");
          };
    }
    return out;
  }

  private void require(DataType expected) {
    if (dataType != expected) {
      throw new IllegalStateException("tensor is " + dataType + ", not " + expected);
    }
  }

  @Override
  public String toString() {
    return "Tensor[" + dataType + " " + Arrays.toString(shape) + "]";
  }
}
