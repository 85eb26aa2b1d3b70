package org.sparkquant.io.data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkquant.core.graph.Tensor;

/** Parquet and Arrow rows to tensors: each column's values stacked to {@code [batch] + shape}. */
final class TabularEncoder implements BatchEncoder {
  private final List<Column> columns;
  private final int payloadSize;
  private boolean closed;

  TabularEncoder(List<Column> columns) {
    this.columns = List.copyOf(columns);
    this.payloadSize = TabularPayload.size(columns);
  }

  @Override
  public EncodedBatch encode(List<byte[]> payloads) {
    if (closed) {
      throw new IllegalStateException("tabular encoder is closed");
    }
    int n = payloads.size();
    if (n == 0) {
      throw new IllegalArgumentException("cannot encode an empty batch");
    }
    float[][] floats = new float[columns.size()][];
    long[][] longs = new long[columns.size()][];
    for (int c = 0; c < columns.size(); c++) {
      int total = Math.multiplyExact(n, columns.get(c).elementCount());
      if (columns.get(c).type().isInteger()) {
        longs[c] = new long[total];
      } else {
        floats[c] = new float[total];
      }
    }
    for (int i = 0; i < n; i++) {
      byte[] p = payloads.get(i);
      if (p.length != payloadSize) {
        throw new IllegalArgumentException("row payload " + i + " has " + p.length + " bytes; the configured columns "
            + "need " + payloadSize + " (was it read with the same data.columns?)");
      }
      ByteBuffer b = ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN);
      for (int c = 0; c < columns.size(); c++) {
        int count = columns.get(c).elementCount();
        if (b.getInt() != count) {
          throw new IllegalArgumentException("row payload " + i + " does not match data.columns");
        }
        if (longs[c] != null) {
          b.asLongBuffer().get(longs[c], i * count, count);
          b.position(b.position() + count * 8);
        } else {
          b.asFloatBuffer().get(floats[c], i * count, count);
          b.position(b.position() + count * 4);
        }
      }
    }
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    for (int c = 0; c < columns.size(); c++) {
      Column col = columns.get(c);
      long[] shape = new long[col.shape().size() + 1];
      shape[0] = n;
      for (int d = 0; d < col.shape().size(); d++) {
        shape[d + 1] = col.shape().get(d);
      }
      inputs.put(col.input(), switch (col.type()) {
        case FLOAT32 -> Tensor.ofFloats(shape, floats[c]);
        case INT64 -> Tensor.ofLongs(shape, longs[c]);
        case INT32 -> Tensor.ofInts(shape, java.util.Arrays.stream(longs[c]).mapToInt(v -> (int) v).toArray());
      });
    }
    return new EncodedBatch(inputs, null);
  }

  @Override
  public void close() {
    closed = true;
  }
}
