package org.sparkquant.io.data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.sparkquant.core.graph.Tensor;

/**
 * Encodes labelled payloads: each ends with its sample's class index as a little-endian int64, which readers append
 * ({@link #withLabel}) when the data has {@link Labels}. The label is cut off, the rest goes to the wrapped
 * encoder, and the batch carries the labels as an INT64 {@code [batch]} tensor.
 */
final class LabelledEncoder implements BatchEncoder {
  private final BatchEncoder inputs;

  LabelledEncoder(BatchEncoder inputs) {
    this.inputs = inputs;
  }

  /** {@code payload} followed by {@code label}. */
  static byte[] withLabel(byte[] payload, long label) {
    return ByteBuffer.allocate(payload.length + Long.BYTES).order(ByteOrder.LITTLE_ENDIAN)
        .put(payload).putLong(label).array();
  }

  @Override
  public EncodedBatch encode(List<byte[]> payloads) {
    long[] labels = new long[payloads.size()];
    List<byte[]> rest = new ArrayList<>(payloads.size());
    for (int i = 0; i < labels.length; i++) {
      byte[] p = payloads.get(i);
      if (p.length < Long.BYTES) {
        throw new IllegalArgumentException("labelled payload " + i + " has " + p.length + " bytes, too short for a"
            + " label (was it read with the same data.label?)");
      }
      labels[i] = ByteBuffer.wrap(p, p.length - Long.BYTES, Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).getLong();
      rest.add(Arrays.copyOf(p, p.length - Long.BYTES));
    }
    EncodedBatch batch = inputs.encode(rest);
    return new EncodedBatch(batch.inputs(), batch.observeMask(), Tensor.ofLongs(new long[] {labels.length}, labels));
  }

  @Override
  public void close() {
    inputs.close();
  }
}
