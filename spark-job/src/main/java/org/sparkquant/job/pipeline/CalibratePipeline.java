package org.sparkquant.job.pipeline;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparkquant.core.export.Backend;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.quantizer.PreparedModel;
import org.sparkquant.core.quantizer.Quantizer;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.job.calibrate.CalibrationJob;
import org.sparkquant.job.spark.JobContext;

/** {@code calibrate}: distributed activation calibration on Spark, then ONNX QDQ export, with its report. */
public final class CalibratePipeline {
  private CalibratePipeline() {}

  /** What ran; the report is null after a dry run. */
  public record Result(QuantizerConfig config, CalibrateReport report) {}

  /** Checks the request, calibrates (default preset w8a8) and commits the output; progress goes to {@code out}. */
  public static Result run(ModelRequest model, DataRequest data, PrintWriter out) throws IOException {
    DataJobDriver driver = new DataJobDriver(model, data, out);
    QuantizerConfig config = model.config(driver.store(), "w8a8");
    if (!config.quantizesActivations()) {
      if (model.configFile() != null) {
        throw new IllegalArgumentException("config '" + model.configFile() + "' quantizes no activations"
            + " ('activations: none'), so there is nothing to calibrate: use 'sparkquant quantize'");
      }
      throw new UsageError("preset " + config.preset() + " quantizes no activations, so there is nothing to"
          + " calibrate: use 'sparkquant quantize'");
    }
    DataJobDriver.Inputs in = driver.load();
    long started = System.nanoTime();
    try (PreparedModel prepared = new Quantizer(in.graph(), config).prepare()) {
      SparkConf conf = driver.sparkConf("calibrate");
      List<String> files = driver.files(in.data());
      if (model.dryRun()) {
        return new Result(config, null);
      }
      try (JobContext job = JobContext.obtain(conf)) {
        JavaSparkContext sc = job.sc();
        CalibrationJob.Result result = Calibration.into(prepared, sc, in.graph(), config,
            driver.samples(in, files, sc), out);
        double seconds = (System.nanoTime() - started) / 1e9;
        Provenance provenance = driver.provenance(config, result.dataHash(), files.size(), sc.sc().applicationId());
        Graph exported = provenance.writeTo(prepared.finalize(Backend.ONNX_QDQ), config, result.plan().samples())
            .build();
        CalibrateReport report = new CalibrateReport(ReportVersion.CURRENT, "calibrate",
            ActivationLayer.of(prepared), new CalibrateReport.Totals(prepared.activationReports().size(),
                result.plan().samples(), result.plan().batches(), result.plan().partitionCount(),
                ReportVersion.round2(seconds)), provenance);
        driver.write(exported, report, dir -> { });
        return new Result(config, report);
      }
    }
  }
}
