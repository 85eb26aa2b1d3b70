package org.sparkquant.job.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
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
import org.sparkquant.io.data.DataConfig;
import org.sparkquant.io.data.DataFiles;
import org.sparkquant.io.onnx.OnnxModelWriter;
import org.sparkquant.io.output.AtomicDirectory;
import org.sparkquant.job.calibrate.CalibrationJob;
import org.sparkquant.job.calibrate.CalibrationProgress;
import org.sparkquant.job.spark.SparkContexts;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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

  @CommandLine.Mixin DataJobOptions options;

  @Option(names = "--batch-size", paramLabel = "N", description = "Samples per batch (default: 32).")
  int batchSize = 32;

  @Option(names = "--partitions", paramLabel = "N",
      description = "Partitions (default: 4 per core of the master, at most one per batch).")
  Integer partitions;

  @Override
  public Integer call() throws IOException {
    options.checkNumbers();
    options.positive("--batch-size", batchSize);
    if (partitions != null) {
      options.positive("--partitions", partitions);
    }
    QuantizerConfig config = options.config("w8a8", true, "quantize");
    AtomicDirectory.checkWritable(options.output, options.overwrite);
    DataJobOptions.Inputs in = options.inputs(config);
    PrintWriter out = options.spec.commandLine().getOut();
    long started = System.nanoTime();
    try (PreparedModel prepared = new Quantizer(in.graph(), config).prepare()) {
      SparkConf conf = SparkContexts.conf(options.master, "sparkquant calibrate " + options.model.getFileName(),
          options.sparkConf);
      List<String> files = DataFiles.list(options.data, in.data().format(), SparkContexts.hadoopConfiguration(conf));
      try (JavaSparkContext sc = new JavaSparkContext(conf)) {
        return calibrate(in.graph(), config, prepared, in.data(), in.tokenizer(), files, sc, out, started);
      }
    }
  }

  /** The Spark part: runs the job, merges the statistics, writes the output. */
  private int calibrate(Graph graph, QuantizerConfig config, PreparedModel prepared, DataConfig dataConfig,
      byte[] tokenizerBytes, List<String> files, JavaSparkContext sc, PrintWriter out, long started)
      throws IOException {
    CalibrationJob.Spec job = new CalibrationJob.Spec(QuantizerConfigFiles.toYaml(config), dataConfig,
        tokenizerBytes, files, batchSize, options.maxSamples == null ? 0 : options.maxSamples, options.seed,
        partitions == null ? 4 * sc.defaultParallelism() : partitions);
    CalibrationProgress progress = new CalibrationProgress(sc, out);
    CalibrationJob.Result result;
    try {
      result = CalibrationJob.run(sc, new OnnxModelWriter().toBytes(graph), job, progress);
    } finally {
      progress.close();
    }
    for (ActivationStatistics s : result.partials()) {
      prepared.addStatistics(s);
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    String sha = QuantizeCommand.sha256(options.model);
    Graph exported = options.metadata(prepared.finalize(Backend.ONNX_QDQ), config, sha, result.dataHash())
        .metadata("sparkquant.samples", Long.toString(result.plan().samples()))
        .metadata("sparkquant.config", QuantizerConfigFiles.toYaml(config))
        .build();
    Map<String, Object> report = report(config, prepared, result, sha, sc.sc().applicationId(), files.size(),
        seconds);
    AtomicDirectory.write(options.output, options.overwrite, dir -> {
      new OnnxModelWriter().write(exported, dir.resolve("model.onnx"));
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("report.json").toFile(),
          report);
    });
    out.printf("calibrated %d activation quantizers with %s on %,d samples (%d batches, %d partitions) in %.1f s%n",
        prepared.activationReports().size(), config.preset(), result.plan().samples(), result.plan().batches(),
        result.plan().partitionCount(), seconds);
    out.printf("wrote %s%n", options.output.resolve("model.onnx"));
    return 0;
  }

  private Map<String, Object> report(QuantizerConfig config, PreparedModel prepared, CalibrationJob.Result result,
      String sha, String applicationId, int files, double seconds) {
    List<Map<String, Object>> layers = prepared.activationReports().stream().map(r -> {
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
    Map<String, Object> totals = new LinkedHashMap<>();
    totals.put("activation_quantizers", layers.size());
    totals.put("samples", result.plan().samples());
    totals.put("batches", result.plan().batches());
    totals.put("partitions", result.plan().partitionCount());
    totals.put("seconds", Math.round(seconds * 100) / 100.0);
    Map<String, Object> provenance = options.provenance(config, sha, files, result.dataHash());
    provenance.put("batch_size", batchSize);
    provenance.put("max_samples", options.maxSamples);
    provenance.put("seed", options.seed);
    provenance.put("spark_application_id", applicationId);
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("command", "calibrate");
    report.put("layers", layers);
    report.put("totals", totals);
    report.put("provenance", provenance);
    return report;
  }
}
