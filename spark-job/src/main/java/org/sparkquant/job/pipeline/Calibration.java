package org.sparkquant.job.pipeline;

import java.io.PrintWriter;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.quantizer.ActivationStatistics;
import org.sparkquant.core.quantizer.PreparedModel;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.io.onnx.OnnxModelWriter;
import org.sparkquant.job.calibrate.CalibrationJob;
import org.sparkquant.job.calibrate.CalibrationProgress;
import org.sparkquant.job.samples.SampleSource;

/** Activation calibration on Spark into a prepared model: what {@code calibrate} does, and {@code gptq} after GPTQ. */
final class Calibration {
  private Calibration() {}

  /**
   * Runs the calibration job on {@code model} with progress lines and merges the partitions' statistics into
   * {@code prepared}, in partition order.
   */
  static CalibrationJob.Result into(PreparedModel prepared, JavaSparkContext sc, Graph model,
      QuantizerConfig config, SampleSource samples, PrintWriter out) {
    CalibrationJob.Spec spec = new CalibrationJob.Spec(config, samples);
    CalibrationJob.Result result;
    try (CalibrationProgress progress = new CalibrationProgress(sc, out)) {
      result = CalibrationJob.run(sc, new OnnxModelWriter().toBytes(model), spec, progress);
    }
    for (ActivationStatistics s : result.partials()) {
      prepared.addStatistics(s);
    }
    return result;
  }
}
