package org.sparkquant.job.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.exec.ShapeTrace;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.io.config.DataConfigFiles;
import org.sparkquant.io.config.QuantizerConfigFiles;
import org.sparkquant.io.data.DataConfig;
import org.sparkquant.io.data.DataFormat;
import org.sparkquant.io.data.TokenizerFiles;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.job.spark.SparkContexts;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options of the Spark jobs that run a model over data ({@code calibrate}, {@code qat}): the model, the data and
 * how it is encoded, the quantizer config, the Spark master and settings, and the output; with the checks they share,
 * made on the driver before Spark starts.
 */
public final class DataJobOptions {
  @CommandLine.Spec(CommandLine.Spec.Target.MIXEE) CommandLine.Model.CommandSpec spec;

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

  @Option(names = "--preset", paramLabel = "P", description = "Preset (default: w8a8 for calibrate, w4g32 for qat).")
  String preset;

  @Option(names = "--mode", paramLabel = "graph|eager", description = "Execution mode (default: graph).")
  String mode;

  @Option(names = "--max-samples", paramLabel = "N",
      description = "Use N samples, chosen by a seeded hash of their content (default: all).")
  Long maxSamples;

  @Option(names = "--max-length", paramLabel = "N", description = "Token limit per text sample (default: 128).")
  Integer maxLength;

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

  /** What the driver validated: the model, the config, the tokenizer's bytes and the data config bound to the model. */
  record Inputs(Graph graph, QuantizerConfig config, byte[] tokenizer, DataConfig data) {}

  /**
   * Checks the shared numbers and Spark settings; then, with {@code config} chosen, reads the model and the
   * tokenizer, checks that the data fits the model's inputs and that the model runs on data shaped as it is encoded.
   */
  Inputs inputs(QuantizerConfig config) {
    Graph graph = new OnnxModelReader().read(model);
    byte[] tokenizerBytes = tokenizer == null ? null : TokenizerFiles.read(tokenizer);
    DataConfig dataConfig = dataConfig();
    dataConfig.checkFits(graph.inputs(), tokenizerBytes);
    dataConfig = dataConfig.bindTo(graph.inputs());
    checkRunsOn(graph, dataConfig);
    return new Inputs(graph, config, tokenizerBytes, dataConfig);
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

  /**
   * The exported model with the provenance both jobs record first: version, preset, mode, source model hash, data
   * path and data hash.
   */
  Graph.Builder metadata(Graph exported, QuantizerConfig config, String modelSha, String dataHash) {
    return exported.toBuilder()
        .metadata("sparkquant.version", QuantizeCommand.VERSION)
        .metadata("sparkquant.preset", config.preset())
        .metadata("sparkquant.mode", config.mode().name().toLowerCase(java.util.Locale.ROOT))
        .metadata("sparkquant.source_sha256", modelSha)
        .metadata("sparkquant.data", data)
        .metadata("sparkquant.data_hash", dataHash);
  }

  /** The provenance both jobs report first: version, preset, mode, config, model and its hash, data and its hash. */
  Map<String, Object> provenance(QuantizerConfig config, String modelSha, int files, String dataHash) {
    Map<String, Object> provenance = new LinkedHashMap<>();
    provenance.put("sparkquant", QuantizeCommand.VERSION);
    provenance.put("preset", config.preset());
    provenance.put("mode", config.mode().name().toLowerCase(java.util.Locale.ROOT));
    provenance.put("config", QuantizerConfigFiles.toYaml(config));
    provenance.put("model", model.toString());
    provenance.put("model_sha256", modelSha);
    provenance.put("data", data);
    provenance.put("data_files", files);
    provenance.put("data_hash", dataHash);
    return provenance;
  }

  /** Checks the numbers and Spark settings these options hold. */
  void checkNumbers() {
    if (maxSamples != null) {
      positive("--max-samples", maxSamples);
    }
    if (maxLength != null) {
      positive("--max-length", maxLength);
    }
    try {
      if (master != null) {
        SparkContexts.checkMaster(master);
      }
      sparkConf.keySet().forEach(SparkContexts::checkSetting);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  /** A usage error of the command these options belong to. */
  CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }

  void positive(String option, long value) {
    if (value < 1) {
      throw usage(option + ": expected a positive number, found " + value);
    }
  }

  /**
   * The quantizer config: {@code --config}, else {@code --preset} (default {@code defaultPreset}), with
   * {@code --mode}. With {@code needsActivations}, a config that quantizes no activations is an error naming
   * {@code instead}, the command to use.
   */
  QuantizerConfig config(String defaultPreset, boolean needsActivations, String instead) {
    if (preset != null && configFile != null) {
      throw usage("give --preset or --config, not both");
    }
    QuantizerConfig config;
    if (configFile != null) {
      config = QuantizerConfigFiles.read(configFile);
      if (needsActivations && !config.quantizesActivations()) {
        throw new IllegalArgumentException("config '" + configFile + "' quantizes no activations ('activations: none'),"
            + " so there is nothing to calibrate: use 'sparkquant " + instead + "'");
      }
    } else {
      try {
        config = QuantizerConfig.preset(preset == null ? defaultPreset : preset);
      } catch (IllegalArgumentException e) {
        throw usage("--preset: " + e.getMessage());
      }
      if (needsActivations && !config.quantizesActivations()) {
        throw usage("preset " + config.preset() + " quantizes no activations, so there is nothing to calibrate: use"
            + " 'sparkquant " + instead + "'");
      }
    }
    return QuantizeCommand.withMode(config, mode, spec);
  }

  /** The data config: the config file's {@code data:} section (or defaults), with the data options applied. */
  DataConfig dataConfig() {
    DataConfig defaults = DataConfig.defaults(DataFormat.TEXT);
    DataConfig c = configFile == null ? defaults : DataConfigFiles.read(configFile, defaults);
    if (dataFormat != null) {
      try {
        c = c.withFormat(DataFormat.parse(dataFormat));
      } catch (IllegalArgumentException e) {
        throw usage(e.getMessage());
      }
    }
    if (maxLength != null) {
      c = c.withMaxLength(maxLength);
    }
    return c;
  }
}
