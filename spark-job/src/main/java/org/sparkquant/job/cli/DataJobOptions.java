package org.sparkquant.job.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.exec.ShapeTrace;
import org.sparkquant.core.exec.check.EngineFaultException;
import org.sparkquant.core.exec.check.KernelSelfCheck;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.io.config.DataConfigFiles;
import org.sparkquant.io.config.QuantizerConfigFiles;
import org.sparkquant.io.data.DataConfig;
import org.sparkquant.io.data.DataFiles;
import org.sparkquant.io.data.DataFormat;
import org.sparkquant.io.data.ModelFit;
import org.sparkquant.io.data.TokenizerFiles;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.io.onnx.OnnxModelWriter;
import org.sparkquant.io.output.AtomicDirectory;
import org.sparkquant.job.calibrate.SampleSource;
import org.sparkquant.job.spark.EngineSelfCheck;
import org.sparkquant.job.spark.SparkContexts;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options and driver-side checks every data-driven job shares (calibrate, gptq): model, data, config, Spark
 * master and settings, output. Validation happens here, before any Spark job: the numbers, the config, the output
 * path, the model, the tokenizer, the data settings against the model's inputs, and a trial run of the model on
 * zeros shaped like the encoded data.
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

  @Option(names = "--preset", paramLabel = "P", description = "Preset (default: w8a8 for calibrate, w4g32 for gptq).")
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

  /** The model, tokenizer and data settings, validated against each other. */
  record Inputs(Graph graph, byte[] tokenizer, DataConfig data) {}

  /** Checks the numbers, the master and the Spark settings (usage errors). */
  void checkNumbers() {
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
      throw usage(e.getMessage());
    }
  }

  void positive(String option, long value) {
    if (value < 1) {
      throw usage(option + ": expected a positive number, found " + value);
    }
  }

  CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }

  /** The config from {@code --config} or {@code --preset} (else {@code defaultPreset}), with {@code --mode}. */
  QuantizerConfig config(String defaultPreset) {
    if (preset != null && configFile != null) {
      throw usage("give --preset or --config, not both");
    }
    QuantizerConfig config;
    if (configFile != null) {
      config = QuantizerConfigFiles.read(configFile);
    } else {
      try {
        config = QuantizerConfig.preset(preset == null ? defaultPreset : preset);
      } catch (IllegalArgumentException e) {
        throw usage("--preset: " + e.getMessage());
      }
    }
    return QuantizeCommand.withMode(config, mode, spec);
  }

  /** The output is writable; then the model, tokenizer and data settings, checked against each other. */
  Inputs load() throws IOException {
    AtomicDirectory.checkWritable(output, overwrite);
    Graph graph = new OnnxModelReader().read(model);
    byte[] tokenizerBytes = tokenizer == null ? null : TokenizerFiles.read(tokenizer);
    DataConfig dataConfig = dataConfig();
    ModelFit.check(dataConfig, graph.inputs(), tokenizerBytes);
    dataConfig = ModelFit.bind(dataConfig, graph.inputs());
    checkRunsOn(graph, dataConfig);
    return new Inputs(graph, tokenizerBytes, dataConfig);
  }

  private DataConfig dataConfig() {
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

  /**
   * A trial run of the model on zeros shaped as the data is encoded, so that data the model cannot take (an image
   * size its layers cannot reduce, a column of the wrong width) fails here and not in every Spark task; unless
   * {@value EngineSelfCheck#SETTING} is false, at the self-check's shapes and followed by the engine self-check.
   */
  private void checkRunsOn(Graph graph, DataConfig dataConfig) {
    SparkConf settings = new SparkConf();
    sparkConf.forEach(settings::set);
    boolean selfCheck = EngineSelfCheck.enabled(settings);
    Map<String, long[]> shapes = selfCheck ? ModelFit.selfCheckShapes(dataConfig) : ModelFit.trialShapes(dataConfig);
    try {
      if (selfCheck) {
        spec.commandLine().getOut().println(KernelSelfCheck.verify(graph, shapes).summary());
      } else {
        try (DjlExecutor exec = new DjlExecutor(graph)) {
          ShapeTrace.trace(exec, shapes);
        }
      }
    } catch (EngineFaultException e) {
      throw e;
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IllegalArgumentException("model '" + model + "' does not run on --data-format "
          + dataConfig.format().cliName() + " as configured ("
          + shapes.entrySet().stream().map(en -> en.getKey() + " " + Arrays.toString(en.getValue()))
              .collect(Collectors.joining(", "))
          + (dataConfig.format() == DataFormat.IMAGES ? " from data.images" : "") + "): " + e.getMessage(), e);
    }
  }

  /** The Spark settings of a run of {@code command}. */
  SparkConf sparkConf(String command) {
    return SparkContexts.conf(master, "sparkquant " + command + " " + model.getFileName(), sparkConf);
  }

  /** The data files, listed through Hadoop file systems (and, for labelled images, each one's class checked). */
  List<String> files(SparkConf conf, DataConfig dataConfig) throws IOException {
    List<String> files = DataFiles.list(data, dataConfig.format(), SparkContexts.hadoopConfiguration(conf));
    ModelFit.checkLabelsOf(dataConfig, files);
    return files;
  }

  /** The samples a job reads. */
  SampleSource samples(Inputs in, List<String> files, JavaSparkContext sc) {
    return new SampleSource(in.data(), in.tokenizer(), files, batchSize, maxSamples == null ? 0 : maxSamples, seed,
        partitions == null ? 4 * sc.defaultParallelism() : partitions);
  }

  /** The exported model's provenance metadata. */
  Graph withMetadata(Graph exported, QuantizerConfig config, String sha, String dataHash, long samples) {
    return exported.toBuilder()
        .metadata("sparkquant.version", QuantizeCommand.VERSION)
        .metadata("sparkquant.preset", config.preset())
        .metadata("sparkquant.mode", config.mode().name().toLowerCase(Locale.ROOT))
        .metadata("sparkquant.source_sha256", sha)
        .metadata("sparkquant.data", data)
        .metadata("sparkquant.data_hash", dataHash)
        .metadata("sparkquant.samples", Long.toString(samples))
        .metadata("sparkquant.config", QuantizerConfigFiles.toYaml(config))
        .build();
  }

  /** The report's provenance section. */
  Map<String, Object> provenance(QuantizerConfig config, String sha, String dataHash, int files, String appId) {
    Map<String, Object> provenance = new LinkedHashMap<>();
    provenance.put("sparkquant", QuantizeCommand.VERSION);
    provenance.put("preset", config.preset());
    provenance.put("mode", config.mode().name().toLowerCase(Locale.ROOT));
    provenance.put("config", QuantizerConfigFiles.toYaml(config));
    provenance.put("model", model.toString());
    provenance.put("model_sha256", sha);
    provenance.put("data", data);
    provenance.put("data_files", files);
    provenance.put("data_hash", dataHash);
    provenance.put("batch_size", batchSize);
    provenance.put("max_samples", maxSamples);
    provenance.put("seed", seed);
    provenance.put("spark_application_id", appId);
    return provenance;
  }

  /** Writes {@code model.onnx}, {@code report.json} and {@code _SUCCESS} atomically. */
  void write(Graph exported, Map<String, Object> report) throws IOException {
    write(exported, report, dir -> { });
  }

  /** As {@link #write(Graph, Map)}, with what {@code more} adds to the directory before it is committed. */
  void write(Graph exported, Map<String, Object> report, AtomicDirectory.Writer more) throws IOException {
    AtomicDirectory.write(output, overwrite, dir -> {
      new OnnxModelWriter().write(exported, dir.resolve("model.onnx"));
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("report.json").toFile(),
          report);
      more.writeTo(dir);
    });
  }
}
