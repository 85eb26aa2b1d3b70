package org.sparkquant.core.gptq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.exec.EngineArrays;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Tensor;

/**
 * One calibration batch stopped at a GPTQ group's input: the values that cross the cut before the group
 * ({@link ModelCuts#live}) and the batch's token mask. {@link HessianCollector} reads the group's statistics from it
 * and advances it to the next group; {@link #toBytes()} and {@link #fromBytes} let it be stored between the two
 * (e.g. persisted by a distributed job). It owns its arrays: close it.
 */
public final class LayerBoundary implements AutoCloseable {
  private final int group;
  private final Map<String, NDArray> values;
  private final NDArray tokenMask;
  private final NDManager manager;

  LayerBoundary(int group, Map<String, NDArray> values, NDArray tokenMask, NDManager manager) {
    this.group = group;
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    this.tokenMask = tokenMask;
    this.manager = manager;
  }

  /** The group whose input this batch has reached. */
  public int group() {
    return group;
  }

  Map<String, NDArray> values() {
    return values;
  }

  /** {@code [batch, tokens]}, 0 at padding, or null when every row counts. */
  NDArray tokenMask() {
    return tokenMask;
  }

  NDManager manager() {
    return manager;
  }

  /** The boundary's bytes: group, then each value (and the mask) as name, type, shape and little-endian data. */
  public byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(group);
      out.writeInt(values.size());
      for (Map.Entry<String, NDArray> e : values.entrySet()) {
        out.writeUTF(e.getKey());
        write(out, e.getValue());
      }
      out.writeBoolean(tokenMask != null);
      if (tokenMask != null) {
        write(out, tokenMask);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static void write(DataOutputStream out, NDArray a) throws IOException {
    Tensor t = EngineArrays.toTensor(a);
    out.writeInt(t.dataType().onnxCode());
    out.writeInt(t.rank());
    for (long d : t.shape()) {
      out.writeLong(d);
    }
    ByteBuffer data = t.data();
    byte[] raw = new byte[data.remaining()];
    data.get(raw);
    out.writeInt(raw.length);
    out.write(raw);
  }

  /** Reads {@link #toBytes()}'s form onto the engine. */
  public static LayerBoundary fromBytes(byte[] bytes) {
    NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE);
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      int group = in.readInt();
      int n = in.readInt();
      Map<String, NDArray> values = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        String name = in.readUTF();
        values.put(name, read(in, m));
      }
      NDArray mask = in.readBoolean() ? read(in, m) : null;
      return new LayerBoundary(group, values, mask, m);
    } catch (IOException | RuntimeException e) {
      m.close();
      throw new IllegalArgumentException("not a stored layer boundary: " + e.getMessage(), e);
    }
  }

  private static NDArray read(DataInputStream in, NDManager m) throws IOException {
    DataType type = DataType.fromOnnx(in.readInt());
    long[] shape = new long[in.readInt()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = in.readLong();
    }
    byte[] raw = new byte[in.readInt()];
    in.readFully(raw);
    return EngineArrays.toArray(m, new Tensor(type, shape, ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN)));
  }

  @Override
  public void close() {
    manager.close();
  }
}
