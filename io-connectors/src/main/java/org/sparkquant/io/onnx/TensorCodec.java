package org.sparkquant.io.onnx;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.ModelFormatException;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.io.onnx.proto.Onnx.StringStringEntryProto;
import org.sparkquant.io.onnx.proto.Onnx.TensorProto;

/** Converts between ONNX {@code TensorProto} and IR {@link Tensor}, for every storage form ONNX allows. */
final class TensorCodec {
  private TensorCodec() {}

  /**
   * @param external resolver for external data, or null when the model has no directory context
   */
  static Tensor decode(TensorProto t, ExternalData external) {
    String name = t.getName();
    DataType type;
    try {
      type = DataType.fromOnnx(t.getDataType());
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException("tensor '" + name + "': " + e.getMessage());
    }
    if (type == DataType.STRING) {
      throw new ModelFormatException("tensor '" + name + "': string tensors are not supported");
    }
    long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    long count;
    try {
      count = Tensor.numElements(shape);
    } catch (ArithmeticException | ModelFormatException e) {
      throw new ModelFormatException("tensor '" + name + "': invalid dims " + t.getDimsList());
    }
    ByteBuffer data;
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      data = readExternal(t, external);
    } else if (t.hasRawData()) {
      data = t.getRawData().asReadOnlyByteBuffer();
    } else {
      data = fromTypedFields(t, type, count);
    }
    long expected = Tensor.byteSize(type, shape);
    if (data.remaining() != expected) {
      throw new ModelFormatException(
          "tensor '" + name + "': " + type + " " + t.getDimsList() + " needs " + expected + " bytes of data, found "
              + data.remaining() + " (truncated or inconsistent file)");
    }
    return new Tensor(type, shape, data);
  }

  private static ByteBuffer readExternal(TensorProto t, ExternalData external) {
    String location = null;
    long offset = 0;
    long length = -1;
    for (StringStringEntryProto e : t.getExternalDataList()) {
      switch (e.getKey()) {
        case "location" -> location = e.getValue();
        case "offset" -> offset = parse(t, e);
        case "length" -> length = parse(t, e);
        default -> {}
      }
    }
    if (external == null) {
      throw new ModelFormatException("tensor '" + t.getName() + "' has external data but the model has no directory");
    }
    return external.read(t.getName(), location, offset, length);
  }

  private static long parse(TensorProto t, StringStringEntryProto e) {
    try {
      return Long.parseLong(e.getValue());
    } catch (NumberFormatException ex) {
      throw new ModelFormatException(
          "tensor '" + t.getName() + "': external data " + e.getKey() + " '" + e.getValue() + "' is not a number");
    }
  }

  /** Typed repeated fields, used by small tensors and older exporters. */
  private static ByteBuffer fromTypedFields(TensorProto t, DataType type, long count) {
    ByteBuffer b = ByteBuffer.allocate((int) Tensor.byteSize(type, new long[] {count})).order(ByteOrder.LITTLE_ENDIAN);
    switch (type) {
      case FLOAT -> t.getFloatDataList().forEach(b::putFloat);
      case DOUBLE -> t.getDoubleDataList().forEach(b::putDouble);
      case INT64 -> t.getInt64DataList().forEach(b::putLong);
      case UINT32 -> t.getUint64DataList().forEach(v -> b.putInt(v.intValue()));
      case UINT64 -> t.getUint64DataList().forEach(b::putLong);
      case INT32 -> t.getInt32DataList().forEach(b::putInt);
      case INT16, UINT16, FLOAT16, BFLOAT16 -> t.getInt32DataList().forEach(v -> b.putShort(v.shortValue()));
      case INT8, UINT8, BOOL, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ ->
          t.getInt32DataList().forEach(v -> b.put(v.byteValue()));
      case INT4, UINT4, FLOAT4E2M1, INT2, UINT2 -> t.getInt32DataList().forEach(v -> b.put(v.byteValue()));
      default -> throw new ModelFormatException("tensor '" + t.getName() + "': cannot decode type " + type);
    }
    if (b.position() != b.capacity()) {
      throw new ModelFormatException(
          "tensor '" + t.getName() + "': " + type + " with " + count + " elements has " + b.position()
              + " bytes of typed data, expected " + b.capacity());
    }
    return b.flip();
  }

  /** Encodes with {@code raw_data}, the compact form ONNX Runtime reads fastest. */
  static TensorProto encode(String name, Tensor t) {
    TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(t.dataType().onnxCode());
    for (long d : t.shape()) {
      b.addDims(d);
    }
    return b.setRawData(ByteString.copyFrom(t.data())).build();
  }
}
