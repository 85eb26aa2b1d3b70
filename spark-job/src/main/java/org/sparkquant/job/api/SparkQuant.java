package org.sparkquant.job.api;

import java.io.IOException;
import org.apache.spark.sql.SparkSession;
import org.sparkquant.core.gptq.GptqOptions;
import org.sparkquant.job.pipeline.CalibratePipeline;
import org.sparkquant.job.pipeline.CalibrateReport;
import org.sparkquant.job.pipeline.GptqPipeline;
import org.sparkquant.job.pipeline.GptqReport;
import org.sparkquant.job.pipeline.OutputComplete;
import org.sparkquant.job.pipeline.QatPipeline;
import org.sparkquant.job.pipeline.QatReport;
import org.sparkquant.job.pipeline.QatRequest;
import org.sparkquant.job.pipeline.QuantizePipeline;
import org.sparkquant.job.pipeline.QuantizeReport;
import org.sparkquant.job.spark.SparkContexts;

/**
 * SparkQuant's jobs called from a Spark application: each runs in the application's session, which it leaves
 * running, and commits its output as the command line does ({@code model.onnx}, {@code report.json}, {@code _SUCCESS}).
 * Each returns the job's report, or null when the output was complete already and
 * {@link JobOptions.Builder#skipIfComplete} was set. Bad input is an {@link IllegalArgumentException} with a one-line
 * message.
 */
public final class SparkQuant {
  private SparkQuant() {}

  /** {@code calibrate}: activation calibration on {@code spark}'s executors (default preset w8a8). */
  public static CalibrateReport calibrate(SparkSession spark, JobOptions options) throws IOException {
    checkRunning(spark, options);
    return unlessComplete(() -> CalibratePipeline.run(options.model(), options.data(), options.progress()).report());
  }

  /** {@code gptq}: GPTQ with Hessians from {@code spark}'s executors (default preset w4g32). */
  public static GptqReport gptq(SparkSession spark, JobOptions options, GptqOptions gptq) throws IOException {
    checkRunning(spark, options);
    return unlessComplete(() -> GptqPipeline.run(options.model(), options.data(), gptq, options.progress())
        .report());
  }

  /**
   * {@code qat}: quantization-aware training on {@code spark}'s executors in barrier stages (default preset w4g32);
   * the application must not use dynamic allocation.
   */
  public static QatReport qat(SparkSession spark, JobOptions options, QatRequest training) throws IOException {
    checkRunning(spark, options);
    return unlessComplete(() -> QatPipeline.run(options.model(), options.data(), training, options.progress())
        .report());
  }

  /** {@code quantize}: data-free round-to-nearest weight quantization (default preset w8), on the driver. */
  public static QuantizeReport quantize(JobOptions options) throws IOException {
    return unlessComplete(() -> QuantizePipeline.run(options.model(), false).report());
  }

  /** What the pipeline returns, or null when it found its output complete ({@code skipIfComplete}). */
  private static <T> T unlessComplete(Pipeline<T> pipeline) throws IOException {
    try {
      return pipeline.run();
    } catch (OutputComplete e) {
      return null;
    }
  }

  @FunctionalInterface
  private interface Pipeline<T> {
    T run() throws IOException;
  }

  private static void checkRunning(SparkSession spark, JobOptions options) {
    if (options.data() == null) {
      throw new IllegalArgumentException("data is required: set JobOptions.Builder.data");
    }
    if (spark.sparkContext().isStopped() || !SparkContexts.activeContext().contains(spark.sparkContext())) {
      throw new IllegalStateException("the session's SparkContext is stopped; pass a running session");
    }
  }
}
