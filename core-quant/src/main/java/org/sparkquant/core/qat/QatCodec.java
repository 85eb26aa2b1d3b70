package org.sparkquant.core.qat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.quantizer.ActivationStatistics;

/**
 * Binary form of {@link QatState} (checkpoints), {@link QatParameters} (broadcast to workers) and {@link Gradients}
 * (task results): a magic number, a version and a kind, then named float arrays written in bulk, little-endian, so
 * that a value read back holds exactly the bits written. Activation statistics go in Java serialization.
 */
public final class QatCodec {
  private static final int MAGIC = 0x53514154; // "SQAT"
  private static final int VERSION = 1;
  private static final byte STATE = 1;
  private static final byte PARAMETERS = 2;
  private static final byte GRADIENTS = 3;

  private QatCodec() {}

  public static byte[] toBytes(QatState s) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    write(s, b);
    return b.toByteArray();
  }

  /** Writes {@code s} to {@code out} (not closed). */
  public static void write(QatState s, OutputStream out) {
    try {
      DataOutputStream d = header(out, STATE);
      d.writeLong(s.step());
      writeFloats(d, s.tensors());
      d.writeInt(s.slots().size());
      for (Map.Entry<String, float[][]> e : s.slots().entrySet()) {
        d.writeUTF(e.getKey());
        d.writeInt(e.getValue().length);
        for (float[] a : e.getValue()) {
          writeFloats(d, a);
        }
      }
      writeStatistics(d, s.statistics());
      d.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static QatState state(byte[] bytes) {
    return readState(new ByteArrayInputStream(bytes));
  }

  /** Reads a state written by {@link #write(QatState, OutputStream)}. */
  public static QatState readState(InputStream in) {
    try {
      DataInputStream d = check(in, STATE);
      long step = d.readLong();
      Map<String, float[]> tensors = readFloatMap(d);
      int n = d.readInt();
      Map<String, float[][]> slots = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        String k = d.readUTF();
        float[][] s = new float[d.readInt()][];
        for (int j = 0; j < s.length; j++) {
          s[j] = readFloats(d);
        }
        slots.put(k, s);
      }
      return new QatState(step, tensors, slots, readStatistics(d));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] toBytes(QatParameters p) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try {
      DataOutputStream d = header(b, PARAMETERS);
      d.writeLong(p.step());
      writeFloats(d, p.tensors());
      d.writeInt(p.trained().size());
      for (String k : p.trained()) {
        d.writeUTF(k);
      }
      writeParams(d, p.weightParams());
      writeParams(d, p.activationParams());
      d.writeBoolean(p.observing());
      d.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return b.toByteArray();
  }

  public static QatParameters parameters(byte[] bytes) {
    try {
      DataInputStream d = check(new ByteArrayInputStream(bytes), PARAMETERS);
      long step = d.readLong();
      Map<String, float[]> tensors = readFloatMap(d);
      int n = d.readInt();
      Set<String> trained = new LinkedHashSet<>();
      for (int i = 0; i < n; i++) {
        trained.add(d.readUTF());
      }
      Map<String, QuantParams> weights = readParams(d);
      Map<String, QuantParams> activations = readParams(d);
      return new QatParameters(step, tensors, trained, weights, activations, d.readBoolean());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] toBytes(Gradients g) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try {
      DataOutputStream d = header(b, GRADIENTS);
      writeFloats(d, g.tensors());
      d.writeDouble(g.lossSum());
      d.writeLong(g.samples());
      writeStatistics(d, g.observed());
      d.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return b.toByteArray();
  }

  public static Gradients gradients(byte[] bytes) {
    try {
      DataInputStream d = check(new ByteArrayInputStream(bytes), GRADIENTS);
      Map<String, float[]> tensors = readFloatMap(d);
      double loss = d.readDouble();
      long samples = d.readLong();
      return new Gradients(tensors, loss, samples, readStatistics(d));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static DataOutputStream header(OutputStream out, byte kind) throws IOException {
    DataOutputStream d = new DataOutputStream(new java.io.BufferedOutputStream(out, 1 << 16));
    d.writeInt(MAGIC);
    d.writeInt(VERSION);
    d.writeByte(kind);
    return d;
  }

  private static DataInputStream check(InputStream in, byte kind) throws IOException {
    DataInputStream d = new DataInputStream(new java.io.BufferedInputStream(in, 1 << 16));
    if (d.readInt() != MAGIC) {
      throw new IllegalArgumentException("not a SparkQuant training file (bad magic number)");
    }
    int version = d.readInt();
    if (version != VERSION) {
      throw new IllegalArgumentException("training file version " + version + " is not supported; expected "
          + VERSION);
    }
    byte k = d.readByte();
    if (k != kind) {
      throw new IllegalArgumentException("training file holds kind " + k + ", expected " + kind);
    }
    return d;
  }

  private static void writeFloats(DataOutputStream d, Map<String, float[]> m) throws IOException {
    d.writeInt(m.size());
    for (Map.Entry<String, float[]> e : m.entrySet()) {
      d.writeUTF(e.getKey());
      writeFloats(d, e.getValue());
    }
  }

  private static Map<String, float[]> readFloatMap(DataInputStream d) throws IOException {
    int n = d.readInt();
    Map<String, float[]> m = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      m.put(d.readUTF(), readFloats(d));
    }
    return m;
  }

  private static final int CHUNK = 1 << 14;

  /** Statistics hold SparkQuant's observer statistics in Java collections; nothing else is read back. */
  private static final java.io.ObjectInputFilter STATISTICS_CLASSES =
      java.io.ObjectInputFilter.Config.createFilter("org.sparkquant.core.**;java.util.*;java.lang.*;!*");

  private static void writeFloats(DataOutputStream d, float[] a) throws IOException {
    d.writeInt(a.length);
    ByteBuffer b = ByteBuffer.allocate(CHUNK * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < a.length; i += CHUNK) {
      int n = Math.min(CHUNK, a.length - i);
      b.clear();
      b.asFloatBuffer().put(a, i, n);
      d.write(b.array(), 0, n * 4);
    }
  }

  private static float[] readFloats(DataInputStream d) throws IOException {
    float[] a = new float[d.readInt()];
    byte[] bytes = new byte[CHUNK * 4];
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < a.length; i += CHUNK) {
      int n = Math.min(CHUNK, a.length - i);
      d.readFully(bytes, 0, n * 4);
      b.clear();
      b.asFloatBuffer().get(a, i, n);
    }
    return a;
  }

  private static void writeParams(DataOutputStream d, Map<String, QuantParams> m) throws IOException {
    d.writeInt(m.size());
    for (Map.Entry<String, QuantParams> e : m.entrySet()) {
      d.writeUTF(e.getKey());
      QuantParams p = e.getValue();
      d.writeUTF(p.type().name());
      Granularity g = p.granularity();
      if (g instanceof Granularity.PerChannel c) {
        d.writeByte(1);
        d.writeInt(c.axis());
      } else if (g instanceof Granularity.PerBlock b) {
        d.writeByte(2);
        d.writeInt(b.axis());
        d.writeInt(b.blockSize());
      } else {
        d.writeByte(0);
      }
      long[] shape = p.paramShape();
      d.writeInt(shape.length);
      for (long s : shape) {
        d.writeLong(s);
      }
      writeFloats(d, p.scale());
      int[] zp = p.zeroPoint();
      d.writeInt(zp.length);
      for (int z : zp) {
        d.writeInt(z);
      }
    }
  }

  private static Map<String, QuantParams> readParams(DataInputStream d) throws IOException {
    int n = d.readInt();
    Map<String, QuantParams> m = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      String key = d.readUTF();
      QuantType type = QuantType.valueOf(d.readUTF());
      Granularity g = switch (d.readByte()) {
        case 1 -> Granularity.perChannel(d.readInt());
        case 2 -> Granularity.perBlock(d.readInt(), d.readInt());
        default -> Granularity.perTensor();
      };
      long[] shape = new long[d.readInt()];
      for (int j = 0; j < shape.length; j++) {
        shape[j] = d.readLong();
      }
      float[] scale = readFloats(d);
      int[] zp = new int[d.readInt()];
      for (int j = 0; j < zp.length; j++) {
        zp[j] = d.readInt();
      }
      m.put(key, new QuantParams(type, g, shape, scale, zp));
    }
    return m;
  }

  private static void writeStatistics(DataOutputStream d, ActivationStatistics s) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ObjectOutputStream o = new ObjectOutputStream(b)) {
      o.writeObject(s);
    }
    d.writeInt(b.size());
    b.writeTo(d);
  }

  private static ActivationStatistics readStatistics(DataInputStream d) throws IOException {
    byte[] bytes = new byte[d.readInt()];
    d.readFully(bytes);
    try (ObjectInputStream o = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
      o.setObjectInputFilter(STATISTICS_CLASSES);
      return (ActivationStatistics) o.readObject();
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException("activation statistics of an unknown observer: " + e.getMessage(), e);
    }
  }
}
