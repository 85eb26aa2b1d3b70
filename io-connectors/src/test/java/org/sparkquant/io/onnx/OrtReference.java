package org.sparkquant.io.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
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
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setIntraOpNumThreads(threads);
    options.setInterOpNumThreads(1);
    session = env.createSession(model.toString(), options);
  }

  /** A float or int64 input: {@code float[]} or {@code long[]} data with its shape. */
  public record Input(Object data, long[] shape) {}

  /** Runs the model and returns each requested output as a flat float array. */
  public Map<String, float[]> run(Map<String, Input> inputs, List<String> outputs) throws OrtException {
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
        Map<String, float[]> out = new HashMap<>();
        for (String name : outputs) {
          OnnxTensor t = (OnnxTensor) r.get(name).orElseThrow();
          FloatBuffer fb = t.getFloatBuffer();
          float[] a = new float[fb.remaining()];
          fb.get(a);
          out.put(name, a);
        }
        return out;
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
