package org.sparkquant.job.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.quantizer.ActivationStatistics;
import org.sparkquant.core.quantizer.Backend;
import org.sparkquant.core.quantizer.PreparedModel;
import org.sparkquant.core.quantizer.Quantizer;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.io.config.QuantizerConfigFiles;
import org.sparkquant.io.onnx.OnnxModelWriter;
import org.sparkquant.job.calibrate.CalibrationJob;
import org.sparkquant.job.calibrate.CalibrationProgress;
import org.sparkquant.job.calibrate.SampleSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code sparkquant calibrate}: distributed activation calibration on Spark, then ONNX QDQ export. */
@Command(
    name = "calibrate",
    mixinStandardHelpOptions = true,
    description = {
      "Calibrates activation quantizers on Spark: executors run the prepared model over their shard of the data",
      "and return observer statistics, which the driver merges in partition order. Writes DIR/model.onnx (ONNX QDQ),",
      "DIR/report.json and DIR/_SUCCESS, atomically. Runs on an embedded local master by default, and under",
      "spark-submit on a cluster."
    })
public final class CalibrateCommand implements Callable<Integer> {
  @CommandLine.Mixin VerboseOption verbose;

  @CommandLine.Mixin DataJobOptions job;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    job.checkNumbers();
    QuantizerConfig config = config();
    DataJobOptions.Inputs in = job.load();
    PrintWriter out = spec.commandLine().getOut();
    long started = System.nanoTime();
    try (PreparedModel prepared = new Quantizer(in.graph(), config).prepare()) {
      SparkConf conf = job.sparkConf("calibrate");
      List<String> files = job.files(conf, in.data());
      try (JavaSparkContext sc = new JavaSparkContext(conf)) {
        return calibrate(in, config, prepared, files, sc, out, started);
      }
    }
  }

  /** The Spark part: runs the job, merges the statistics, writes the output. */
  private int calibrate(DataJobOptions.Inputs in, QuantizerConfig config, PreparedModel prepared, List<String> files,
      JavaSparkContext sc, PrintWriter out, long started) throws IOException {
    CalibrationJob.Result result = calibrateInto(prepared, sc, in.graph(), config, job.samples(in, files, sc), out);
    double seconds = (System.nanoTime() - started) / 1e9;
    String sha = QuantizeCommand.sha256(job.model);
    Graph exported = job.withMetadata(prepared.finalize(Backend.ONNX_QDQ), config, sha, result.dataHash(),
        result.plan().samples());
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("command", "calibrate");
    report.put("layers", activationLayers(prepared));
    report.put("totals", totals(prepared, result, seconds));
    report.put("provenance", job.provenance(config, sha, result.dataHash(), files.size(), sc.sc().applicationId()));
    job.write(exported, report);
    out.printf("calibrated %d activation quantizers with %s on %,d samples (%d batches, %d partitions) in %.1f s%n",
        prepared.activationReports().size(), config.preset(), result.plan().samples(), result.plan().batches(),
        result.plan().partitionCount(), seconds);
    out.printf("wrote %s%n", job.output.resolve("model.onnx"));
    return 0;
  }

  /**
   * Runs the calibration job on {@code model} with progress lines and merges the partitions' statistics into
   * {@code prepared}, in partition order.
   */
  static CalibrationJob.Result calibrateInto(PreparedModel prepared, JavaSparkContext sc, Graph model,
      QuantizerConfig config, SampleSource samples, PrintWriter out) {
    CalibrationJob.Spec spec = new CalibrationJob.Spec(QuantizerConfigFiles.toYaml(config), samples);
    CalibrationJob.Result result;
    try (CalibrationProgress progress = new CalibrationProgress(sc, out)) {
      result = CalibrationJob.run(sc, new OnnxModelWriter().toBytes(model), spec, progress);
    }
    for (ActivationStatistics s : result.partials()) {
      prepared.addStatistics(s);
    }
    return result;
  }

  private QuantizerConfig config() {
    QuantizerConfig config = job.config("w8a8");
    if (!config.quantizesActivations()) {
      String source = job.configFile != null ? "config '" + job.configFile + "' quantizes no activations"
          + " ('activations: none')" : "preset " + config.preset() + " quantizes no activations";
      String message = source + ", so there is nothing to calibrate: use 'sparkquant quantize'";
      if (job.configFile != null) {
        throw new IllegalArgumentException(message);
      }
      throw job.usage(message);
    }
    return config;
  }

  /** The report's per-quantizer section. */
  static List<Map<String, Object>> activationLayers(PreparedModel prepared) {
    return prepared.activationReports().stream().map(r -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", r.value());
      m.put("shares_with", r.group().equals(r.value()) ? null : r.group());
      m.put("type", r.params().type().name());
      m.put("scale", r.params().scale()[0]);
      m.put("zero_point", r.params().zeroPoint()[0]);
      m.put("observed_min", r.observedMin());
      m.put("observed_max", r.observedMax());
      m.put("clipped_fraction", Double.isNaN(r.clippedFraction()) ? null : r.clippedFraction());
      m.put("samples", r.samples());
      return m;
    }).toList();
  }

  private static Map<String, Object> totals(PreparedModel prepared, CalibrationJob.Result result, double seconds) {
    Map<String, Object> totals = new LinkedHashMap<>();
    totals.put("activation_quantizers", prepared.activationReports().size());
    totals.put("samples", result.plan().samples());
    totals.put("batches", result.plan().batches());
    totals.put("partitions", result.plan().partitionCount());
    totals.put("seconds", Math.round(seconds * 100) / 100.0);
    return totals;
  }
}
