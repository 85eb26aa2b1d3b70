package org.sparkquant.job.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.exec.ShapeTrace;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.quantizer.ActivationStatistics;
import org.sparkquant.core.quantizer.Backend;
import org.sparkquant.core.quantizer.PreparedModel;
import org.sparkquant.core.quantizer.Quantizer;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.io.config.DataConfigFiles;
import org.sparkquant.io.config.QuantizerConfigFiles;
import org.sparkquant.io.data.DataConfig;
import org.sparkquant.io.data.DataFiles;
import org.sparkquant.io.data.DataFormat;
import org.sparkquant.io.data.TokenizerFiles;
import org.sparkquant.io.onnx.OnnxModelReader;
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

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "M.onnx", description = "The FP32 ONNX model.")
  Path model;

  @Option(names = "--data", required = true, paramLabel = "PATH",
      description = "Data: a file, a directory or a glob, on any Hadoop file system (file:, hdfs:, s3a:, ...).")
  String data;

  @Option(names = "--data-format", paramLabel = "FORMAT",
      description = "text | jsonl | images | parquet | arrow (default: the config's data.format, else text).")
  String dataFormat;

  @Option(names = "--tokenizer", paramLabel = "tokenizer.json", description = "Hugging Face tokenizer for text.")
  Path tokenizer;

  @Option(names = "--config", paramLabel = "F.yaml", description = "Quantizer and data config (YAML or JSON).")
  Path configFile;

  @Option(names = "--preset", paramLabel = "P", description = "Preset (default: w8a8).")
  String preset;

  @Option(names = "--mode", paramLabel = "graph|eager", description = "Execution mode (default: graph).")
  String mode;

  @Option(names = "--batch-size", paramLabel = "N", description = "Samples per batch (default: 32).")
  int batchSize = 32;

  @Option(names = "--max-samples", paramLabel = "N",
      description = "Use N samples, chosen by a seeded hash of their content (default: all).")
  Long maxSamples;

  @Option(names = "--max-length", paramLabel = "N", description = "Token limit per text sample (default: 128).")
  Integer maxLength;

  @Option(names = "--partitions", paramLabel = "N",
      description = "Partitions (default: 4 per core of the master, at most one per batch).")
  Integer partitions;

  @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: local[*], or spark-submit's).")
  String master;

  @Option(names = "--conf", paramLabel = "KEY=VALUE",
      description = {"A Spark setting, as with spark-submit --conf; repeatable (e.g. --conf spark.task.cpus=2",
          "--conf spark.executor.memory=4g). Wins over spark-submit's settings."})
  Map<String, String> sparkConf = new LinkedHashMap<>();

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the sample choice (default: 0).")
  long seed;

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output directory (must not exist).")
  Path output;

  @Option(names = "--overwrite", description = "Replace an existing output directory.")
  boolean overwrite;

  @Override
  public Integer call() throws IOException {
    checkNumbers();
    QuantizerConfig config = config();
    AtomicDirectory.checkWritable(output, overwrite);
    Graph graph = new OnnxModelReader().read(model);
    byte[] tokenizerBytes = tokenizer == null ? null : TokenizerFiles.read(tokenizer);
    DataConfig dataConfig = dataConfig();
    dataConfig.checkFits(graph.inputs(), tokenizerBytes);
    dataConfig = dataConfig.bindTo(graph.inputs());
    checkRunsOn(graph, dataConfig);
    PrintWriter out = spec.commandLine().getOut();
    long started = System.nanoTime();
    try (PreparedModel prepared = new Quantizer(graph, config).prepare()) {
      SparkConf conf = SparkContexts.conf(master, "sparkquant calibrate " + model.getFileName(), sparkConf);
      List<String> files = DataFiles.list(data, dataConfig.format(), SparkContexts.hadoopConfiguration(conf));
      try (JavaSparkContext sc = new JavaSparkContext(conf)) {
        return calibrate(graph, config, prepared, dataConfig, tokenizerBytes, files, sc, out, started);
      }
    }
  }

  /** The Spark part: runs the job, merges the statistics, writes the output. */
  private int calibrate(Graph graph, QuantizerConfig config, PreparedModel prepared, DataConfig dataConfig,
      byte[] tokenizerBytes, List<String> files, JavaSparkContext sc, PrintWriter out, long started)
      throws IOException {
    CalibrationJob.Spec job = new CalibrationJob.Spec(QuantizerConfigFiles.toYaml(config), dataConfig,
        tokenizerBytes, files, batchSize, maxSamples == null ? 0 : maxSamples, seed,
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
    String sha = QuantizeCommand.sha256(model);
    Graph exported = prepared.finalize(Backend.ONNX_QDQ).toBuilder()
        .metadata("sparkquant.version", QuantizeCommand.VERSION)
        .metadata("sparkquant.preset", config.preset())
        .metadata("sparkquant.mode", config.mode().name().toLowerCase(Locale.ROOT))
        .metadata("sparkquant.source_sha256", sha)
        .metadata("sparkquant.data", data)
        .metadata("sparkquant.data_hash", result.dataHash())
        .metadata("sparkquant.samples", Long.toString(result.plan().samples()))
        .metadata("sparkquant.config", QuantizerConfigFiles.toYaml(config))
        .build();
    Map<String, Object> report = report(config, prepared, result, sha, sc.sc().applicationId(), files.size(),
        seconds);
    AtomicDirectory.write(output, overwrite, dir -> {
      new OnnxModelWriter().write(exported, dir.resolve("model.onnx"));
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("report.json").toFile(),
          report);
    });
    out.printf("calibrated %d activation quantizers with %s on %,d samples (%d batches, %d partitions) in %.1f s%n",
        prepared.activationReports().size(), config.preset(), result.plan().samples(), result.plan().batches(),
        result.plan().partitionCount(), seconds);
    out.printf("wrote %s%n", output.resolve("model.onnx"));
    return 0;
  }

  /**
   * A trial run of the model on zeros shaped as the data is encoded, so that data the model cannot take (an image
   * size its layers cannot reduce, a column of the wrong width) fails here and not in every Spark task.
   */
  private void checkRunsOn(Graph graph, DataConfig dataConfig) {
    Map<String, long[]> shapes = dataConfig.trialShapes();
    try (DjlExecutor exec = new DjlExecutor(graph)) {
      ShapeTrace.trace(exec, shapes);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IllegalArgumentException("model '" + model + "' does not run on --data-format "
          + dataConfig.format().cliName() + " as configured ("
          + shapes.entrySet().stream().map(en -> en.getKey() + " " + Arrays.toString(en.getValue()))
              .collect(Collectors.joining(", "))
          + (dataConfig.format() == DataFormat.IMAGES ? " from data.images" : "") + "): " + e.getMessage(), e);
    }
  }

  private void checkNumbers() {
    positive("--batch-size", batchSize);
    if (maxSamples != null) {
      positive("--max-samples", maxSamples);
    }
    if (maxLength != null) {
      positive("--max-length", maxLength);
    }
    if (partitions != null) {
      positive("--partitions", partitions);
    }
    try {
      if (master != null) {
        SparkContexts.checkMaster(master);
      }
      sparkConf.keySet().forEach(SparkContexts::checkSetting);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  private void positive(String option, long value) {
    if (value < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          option + ": expected a positive number, found " + value);
    }
  }

  private QuantizerConfig config() {
    if (preset != null && configFile != null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "give --preset or --config, not both");
    }
    QuantizerConfig config;
    if (configFile != null) {
      config = QuantizerConfigFiles.read(configFile);
      if (!config.quantizesActivations()) {
        throw new IllegalArgumentException("config '" + configFile + "' quantizes no activations ('activations: none'),"
            + " so there is nothing to calibrate: use 'sparkquant quantize'");
      }
    } else {
      try {
        config = QuantizerConfig.preset(preset == null ? "w8a8" : preset);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--preset: " + e.getMessage());
      }
    }
    if (!config.quantizesActivations()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "preset " + config.preset()
          + " quantizes no activations, so there is nothing to calibrate: use 'sparkquant quantize'");
    }
    return QuantizeCommand.withMode(config, mode, spec);
  }

  private DataConfig dataConfig() {
    DataConfig defaults = DataConfig.defaults(DataFormat.TEXT);
    DataConfig c = configFile == null ? defaults : DataConfigFiles.read(configFile, defaults);
    if (dataFormat != null) {
      try {
        c = c.withFormat(DataFormat.parse(dataFormat));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
    }
    if (maxLength != null) {
      c = c.withMaxLength(maxLength);
    }
    return c;
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
    Map<String, Object> provenance = new LinkedHashMap<>();
    provenance.put("sparkquant", QuantizeCommand.VERSION);
    provenance.put("preset", config.preset());
    provenance.put("mode", config.mode().name().toLowerCase(Locale.ROOT));
    provenance.put("config", QuantizerConfigFiles.toYaml(config));
    provenance.put("model", model.toString());
    provenance.put("model_sha256", sha);
    provenance.put("data", data);
    provenance.put("data_files", files);
    provenance.put("data_hash", result.dataHash());
    provenance.put("batch_size", batchSize);
    provenance.put("max_samples", maxSamples);
    provenance.put("seed", seed);
    provenance.put("spark_application_id", applicationId);
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("command", "calibrate");
    report.put("layers", layers);
    report.put("totals", totals);
    report.put("provenance", provenance);
    return report;
  }
}
