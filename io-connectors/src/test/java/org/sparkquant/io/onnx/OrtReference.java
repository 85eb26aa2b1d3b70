package org.sparkquant.io.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** ONNX Runtime, the independent reference the executor is compared with. */
public final class OrtReference implements AutoCloseable {
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;

  public OrtReference(Path model, int threads) throws OrtException {
    this(model, threads, OrtSession.SessionOptions.OptLevel.ALL_OPT);
  }

  /** A session at a chosen graph optimization level. */
  public OrtReference(Path model, int threads, OrtSession.SessionOptions.OptLevel level) throws OrtException {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setOptimizationLevel(level);
    options.setIntraOpNumThreads(threads);
    // ONNX Runtime fuses DequantizeLinear + MatMul into MatMulNBits and by default computes it with int8
    // activations (accuracy level 4), an approximation of the model; the reference must compute the model exactly.
    options.addConfigEntry("session.qdq_matmulnbits_accuracy_level", "0");
    options.setInterOpNumThreads(1);
    session = env.createSession(model.toString(), options);
  }

  /**
   * The graph ONNX Runtime runs for {@code model} with all graph optimizations (QDQ fusion included), 2 threads, as
   * it writes it to {@code out}; contrib operators are kept, so it is read as a protocol buffer, not as a graph.
   */
  public static org.sparkquant.io.onnx.proto.Onnx.GraphProto optimizedGraph(Path model, Path out)
      throws OrtException, java.io.IOException {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      options.setIntraOpNumThreads(2);
      options.setOptimizedModelFilePath(out.toString());
      OrtEnvironment.getEnvironment().createSession(model.toString(), options).close();
    }
    return org.sparkquant.io.onnx.proto.Onnx.ModelProto.parseFrom(java.nio.file.Files.readAllBytes(out)).getGraph();
  }

  /** A float or int64 input: {@code float[]} or {@code long[]} data with its shape. */
  public record Input(Object data, long[] shape) {
    /** The same input as an engine array, for running it through our executor. */
    public ai.djl.ndarray.NDArray toArray(ai.djl.ndarray.NDManager m) {
      ai.djl.ndarray.types.Shape s = new ai.djl.ndarray.types.Shape(shape);
      return data instanceof float[] f ? m.create(f, s) : m.create((long[]) data, s);
    }

    /** Engine arrays for a whole feed. */
    public static Map<String, ai.djl.ndarray.NDArray> toArrays(Map<String, Input> feed, ai.djl.ndarray.NDManager m) {
      Map<String, ai.djl.ndarray.NDArray> in = new HashMap<>();
      feed.forEach((k, v) -> in.put(k, v.toArray(m)));
      return in;
    }
  }

  /**
   * An output with its element type kept: {@code float[]} (float), {@code long[]} (int64), {@code int[]} (int32) or
   * {@code boolean[]} (bool) data, flat, with its shape.
   */
  public record Output(Object data, long[] shape) {}

  /** Runs the model and returns each requested output as a flat float array. */
  public Map<String, float[]> run(Map<String, Input> inputs, List<String> outputs) throws OrtException {
    Map<String, float[]> out = new HashMap<>();
    run(inputs, outputs, (name, t) -> {
      FloatBuffer fb = t.getFloatBuffer();
      float[] a = new float[fb.remaining()];
      fb.get(a);
      out.put(name, a);
    });
    return out;
  }

  /** Runs the model and returns each requested output in its own element type, with its shape. */
  public Map<String, Output> runTyped(Map<String, Input> inputs, List<String> outputs) throws OrtException {
    Map<String, Output> out = new HashMap<>();
    run(inputs, outputs, (name, t) -> out.put(name, new Output(typedData(name, t), t.getInfo().getShape())));
    return out;
  }

  private static Object typedData(String name, OnnxTensor t) {
    switch (t.getInfo().type) {
      case FLOAT -> {
        FloatBuffer b = t.getFloatBuffer();
        float[] a = new float[b.remaining()];
        b.get(a);
        return a;
      }
      case INT64 -> {
        LongBuffer b = t.getLongBuffer();
        long[] a = new long[b.remaining()];
        b.get(a);
        return a;
      }
      case INT32 -> {
        IntBuffer b = t.getIntBuffer();
        int[] a = new int[b.remaining()];
        b.get(a);
        return a;
      }
      case BOOL -> {
        ByteBuffer b = t.getByteBuffer();
        boolean[] a = new boolean[b.remaining()];
        for (int i = 0; i < a.length; i++) {
          a[i] = b.get(i) != 0;
        }
        return a;
      }
      default -> throw new IllegalArgumentException("output '" + name + "' has unsupported type " + t.getInfo().type);
    }
  }

  private interface OutputSink {
    void accept(String name, OnnxTensor tensor);
  }

  private void run(Map<String, Input> inputs, List<String> outputs, OutputSink sink) throws OrtException {
    Map<String, OnnxTensor> tensors = new HashMap<>();
    try {
      for (Map.Entry<String, Input> e : inputs.entrySet()) {
        Object d = e.getValue().data();
        tensors.put(
            e.getKey(),
            d instanceof float[] f
                ? OnnxTensor.createTensor(env, FloatBuffer.wrap(f), e.getValue().shape())
                : OnnxTensor.createTensor(env, LongBuffer.wrap((long[]) d), e.getValue().shape()));
      }
      try (OrtSession.Result r = session.run(tensors, new java.util.HashSet<>(outputs))) {
        for (String name : outputs) {
          sink.accept(name, (OnnxTensor) r.get(name).orElseThrow());
        }
      }
    } finally {
      tensors.values().forEach(OnnxTensor::close);
    }
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
