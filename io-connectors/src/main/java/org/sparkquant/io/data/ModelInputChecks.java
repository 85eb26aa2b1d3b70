package org.sparkquant.io.data;

import java.util.List;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.ValueInfo;

/** Checks of model inputs and shape helpers that the {@link SampleFormat} implementations share. */
final class ModelInputChecks {
  private ModelInputChecks() {}

  /** {@code [batch] + sample}. */
  static long[] withBatch(long batch, long[] sample) {
    long[] shape = new long[sample.length + 1];
    shape[0] = batch;
    System.arraycopy(sample, 0, shape, 1, sample.length);
    return shape;
  }

  /** Checks {@code in} against {@code [batch] + sample}, static dimensions only. */
  static void checkDims(ValueInfo in, long[] sample, String what) {
    if (in.dims() == null) {
      return;
    }
    List<Dim> dims = in.dims();
    String expected = "[batch" + (sample.length == 0 ? "" : ", " + join(sample)) + "]";
    if (dims.size() != sample.length + 1) {
      throw new IllegalArgumentException("model input '" + in.name() + "' has shape " + in.shapeText() + " but "
          + what + " makes " + expected);
    }
    for (int i = 0; i < sample.length; i++) {
      Dim d = dims.get(i + 1);
      if (d.isKnown() && d.size() != sample[i]) {
        throw new IllegalArgumentException("model input '" + in.name() + "' has shape " + in.shapeText() + " but "
            + what + " makes " + expected);
      }
    }
  }

  private static String join(long[] shape) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < shape.length; i++) {
      b.append(i == 0 ? "" : ", ").append(shape[i]);
    }
    return b.toString();
  }

  /** The model input named {@code name}, which the config key {@code key} names. */
  static ValueInfo find(List<ValueInfo> modelInputs, String name, String key) {
    for (ValueInfo v : modelInputs) {
      if (v.name().equals(name)) {
        return v;
      }
    }
    throw new IllegalArgumentException(key + " names '" + name + "', which is not a model input; model inputs are "
        + modelInputs.stream().map(ValueInfo::name).toList());
  }

  /** The error for a model input that {@code format} does not feed; it feeds {@code fed}. */
  static IllegalArgumentException notFed(ValueInfo in, DataFormat format, List<String> fed) {
    return new IllegalArgumentException("model input '" + in.name() + "' is not fed by --data-format "
        + format.cliName() + ", which feeds " + fed);
  }
}
