package org.sparkquant.core.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.numerics.Packing;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.SmallFloats;

/** Conversions between IR tensors and engine arrays, and between IR and engine element types. */
public final class EngineArrays {
  private EngineArrays() {}

  /** The engine type for an IR type; throws for types the engine cannot compute in. */
  public static ai.djl.ndarray.types.DataType toEngine(DataType t) {
    return switch (t) {
      case FLOAT -> ai.djl.ndarray.types.DataType.FLOAT32;
      case DOUBLE -> ai.djl.ndarray.types.DataType.FLOAT64;
      case FLOAT16 -> ai.djl.ndarray.types.DataType.FLOAT16;
      case BFLOAT16 -> ai.djl.ndarray.types.DataType.BFLOAT16;
      case INT8 -> ai.djl.ndarray.types.DataType.INT8;
      case UINT8 -> ai.djl.ndarray.types.DataType.UINT8;
      case INT16 -> ai.djl.ndarray.types.DataType.INT16;
      case INT32 -> ai.djl.ndarray.types.DataType.INT32;
      case INT64 -> ai.djl.ndarray.types.DataType.INT64;
      case BOOL -> ai.djl.ndarray.types.DataType.BOOLEAN;
      default -> throw new IllegalArgumentException("element type " + t + " cannot be computed in by the engine");
    };
  }

  /** The IR type for an engine type. */
  public static DataType fromEngine(ai.djl.ndarray.types.DataType t) {
    return switch (t) {
      case FLOAT32 -> DataType.FLOAT;
      case FLOAT64 -> DataType.DOUBLE;
      case FLOAT16 -> DataType.FLOAT16;
      case BFLOAT16 -> DataType.BFLOAT16;
      case INT8 -> DataType.INT8;
      case UINT8 -> DataType.UINT8;
      case INT16 -> DataType.INT16;
      case INT32 -> DataType.INT32;
      case INT64 -> DataType.INT64;
      case BOOLEAN -> DataType.BOOL;
      default -> throw new IllegalArgumentException("engine type " + t + " has no IR equivalent");
    };
  }

  /**
   * Copies a tensor into a new array owned by {@code manager}. Types the engine has no arrays for (4- and 2-bit
   * integers, FP8, FP4, UINT16) are widened to float32 holding their values (codes, or decoded small floats), which
   * is what DequantizeLinear consumes.
   */
  public static NDArray toArray(NDManager manager, Tensor t) {
    if (!hasEngineType(t.dataType())) {
      return manager.create(widened(t), new Shape(t.shape()));
    }
    ByteBuffer data = t.data();
    ByteBuffer direct = ByteBuffer.allocateDirect(data.remaining()).order(ByteOrder.nativeOrder());
    direct.put(data).flip();
    return manager.create(direct, new Shape(t.shape()), toEngine(t.dataType()));
  }

  /**
   * {@code hostArray} copied into memory the engine allocates; {@code hostArray} is closed. An array made from Java
   * data borrows a direct buffer that lives only while the array is open; anything that may outlive it (views, and
   * the operands a backward pass reads again under a gradient collector) must be made through here. The same holds
   * for DJL's arithmetic with Java numbers, hence {@link Scalars}.
   */
  public static NDArray engineOwned(NDArray hostArray) {
    NDArray copy = hostArray.duplicate();
    hostArray.close();
    return copy;
  }

  /** Whether the engine computes in this type directly. */
  public static boolean hasEngineType(DataType t) {
    return switch (t) {
      case FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT8, UINT8, INT16, INT32, INT64, BOOL -> true;
      default -> false;
    };
  }

  private static float[] widened(Tensor t) {
    QuantType q = QuantType.of(t.dataType());
    if (q == null) {
      throw new IllegalArgumentException("element type " + t.dataType() + " cannot be computed in by the engine");
    }
    byte[] bytes = new byte[t.data().remaining()];
    t.data().get(bytes);
    int[] codes = Packing.unpack(q, bytes, (int) t.numElements());
    float[] v = new float[codes.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = q.isFloat() ? SmallFloats.decode(q, codes[i]) : codes[i];
    }
    return v;
  }

  /** Copies an array into a heap tensor. */
  public static Tensor toTensor(NDArray a) {
    ByteBuffer b = a.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer copy = ByteBuffer.allocate(b.remaining()).order(ByteOrder.LITTLE_ENDIAN);
    copy.put(b).flip();
    return new Tensor(fromEngine(a.getDataType()), a.getShape().getShape(), copy);
  }

  /**
   * ONNX pads (all begins, then all ends) over the trailing axes, in the engine's order: last axis first, begin then
   * end.
   */
  public static Shape enginePads(long[] pads) {
    int n = pads.length / 2;
    long[] engine = new long[2 * n];
    for (int i = 0; i < n; i++) {
      int axis = n - 1 - i;
      engine[2 * i] = pads[axis];
      engine[2 * i + 1] = pads[axis + n];
    }
    return new Shape(engine);
  }
}
