package org.sparkquant.job.pipeline;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
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
import org.sparkquant.io.data.DataConfig;
import org.sparkquant.io.data.DataFiles;
import org.sparkquant.io.data.DataFormat;
import org.sparkquant.io.data.ModelFit;
import org.sparkquant.io.data.TokenizerFiles;
import org.sparkquant.io.fs.FileStore;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.io.output.AtomicDirectory;
import org.sparkquant.job.samples.SampleSource;
import org.sparkquant.job.spark.EngineSelfCheck;
import org.sparkquant.job.spark.SparkContexts;

/**
 * The driver side of a data-driven job (calibrate, gptq, qat): the checks before Spark starts, the Spark settings,
 * the data files and samples, the provenance and the output commit.
 */
final class DataJobDriver {
  private final ModelRequest model;
  private final DataRequest data;
  private final PrintWriter out;
  private final FileStore store;
  private String modelSha256;

  /** The model, tokenizer and data settings, validated against each other. */
  record Inputs(Graph graph, byte[] tokenizer, DataConfig data) {}

  DataJobDriver(ModelRequest model, DataRequest data, PrintWriter out) {
    this.model = model;
    this.data = data;
    this.out = out;
    this.store = SparkContexts.fileStore(data.settings());
  }

  /** The files this job reaches: its Spark settings' Hadoop configuration. */
  FileStore store() {
    return store;
  }

  /**
   * Checks that the output is writable, then reads the model, tokenizer and data settings and checks them against
   * each other, with a trial run of the model on the data's shapes and the engine self-check.
   */
  Inputs load() throws IOException {
    model.checkOutput(store);
    Graph graph = new OnnxModelReader().read(store, model.model());
    byte[] tokenizerBytes = data.tokenizer() == null ? null : TokenizerFiles.read(store, data.tokenizer());
    DataConfig dataConfig = dataConfig();
    ModelFit.check(dataConfig, graph.inputs(), tokenizerBytes);
    dataConfig = ModelFit.bind(dataConfig, graph.inputs());
    checkRunsOn(graph, dataConfig);
    return new Inputs(graph, tokenizerBytes, dataConfig);
  }

  private DataConfig dataConfig() {
    DataConfig defaults = DataConfig.defaults(DataFormat.TEXT);
    DataConfig c = model.configFile() == null ? defaults : DataConfigFiles.read(store, model.configFile(), defaults);
    if (data.dataFormat() != null) {
      try {
        c = c.withFormat(DataFormat.parse(data.dataFormat()));
      } catch (IllegalArgumentException e) {
        throw new UsageError(e.getMessage());
      }
    }
    if (data.maxLength() != null) {
      c = c.withMaxLength(data.maxLength());
    }
    return c;
  }

  /**
   * A trial run of the model on zeros shaped as the data is encoded, so that data the model cannot take (an image
   * size its layers cannot reduce, a column of the wrong width) fails here and not in every Spark task; unless
   * {@value EngineSelfCheck#SETTING} is false, at the self-check's shapes and followed by the engine self-check.
   */
  private void checkRunsOn(Graph graph, DataConfig dataConfig) {
    boolean selfCheck = EngineSelfCheck.enabled(data.settings());
    Map<String, long[]> shapes = selfCheck ? ModelFit.selfCheckShapes(dataConfig)
        : ModelFit.trialShapes(dataConfig);
    try {
      if (selfCheck) {
        out.println(KernelSelfCheck.verify(graph, shapes).summary());
      } else {
        try (DjlExecutor exec = new DjlExecutor(graph)) {
          ShapeTrace.trace(exec, shapes);
        }
      }
    } catch (EngineFaultException e) {
      throw e;
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IllegalArgumentException("model '" + model.model() + "' does not run on --data-format "
          + dataConfig.format().cliName() + " as configured ("
          + shapes.entrySet().stream().map(en -> en.getKey() + " " + Arrays.toString(en.getValue()))
              .collect(Collectors.joining(", "))
          + (dataConfig.format() == DataFormat.IMAGES ? " from data.images" : "") + "): " + e.getMessage(), e);
    }
  }

  /** The Spark settings of a run of {@code command}. */
  SparkConf sparkConf(String command) {
    return data.sparkConf("sparkquant " + command + " " + model.modelName());
  }

  /** The data files, listed through Hadoop file systems (and, for labelled images, each one's class checked). */
  List<String> files(DataConfig dataConfig) throws IOException {
    List<String> files = DataFiles.list(data.data(), dataConfig.format(), store.configuration());
    ModelFit.checkLabelsOf(dataConfig, files);
    return files;
  }

  /** The samples a job reads. */
  SampleSource samples(Inputs in, List<String> files, JavaSparkContext sc) {
    return new SampleSource(in.data(), in.tokenizer(), files, data.batchSize(), data.sampleLimit(), data.seed(),
        data.partitions() == null ? 4 * sc.defaultParallelism() : data.partitions());
  }

  /** The SHA-256 of the model file, read once. */
  String modelSha256() throws IOException {
    if (modelSha256 == null) {
      modelSha256 = Provenance.sha256(store, model.model());
    }
    return modelSha256;
  }

  /** The provenance of this job's output. */
  Provenance provenance(QuantizerConfig config, String dataHash, int files, String appId) throws IOException {
    return Provenance.of(model, data, config, modelSha256(), dataHash, files, appId);
  }

  /** Writes {@code model.onnx}, {@code report.json}, what {@code more} adds and {@code _SUCCESS} atomically. */
  void write(Graph exported, Object report, AtomicDirectory.Writer more) {
    OutputCommit.write(store, model.output(), model.overwrite(), exported, report, more);
  }
}
