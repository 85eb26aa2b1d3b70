package org.sparkquant.job.api;

import java.io.PrintWriter;
import java.io.Writer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkquant.job.pipeline.DataRequest;
import org.sparkquant.job.pipeline.ModelRequest;

/**
 * What a SparkQuant job reads and writes, for {@link SparkQuant}: the same settings as the command line's options, with
 * the same defaults and checks. Paths are locations on any Hadoop file system ({@code hdfs:}, {@code s3a:},
 * {@code file:} or plain paths on the default file system).
 *
 * <pre>{@code
 * JobOptions options = JobOptions.builder()
 *     .model("hdfs:///models/minilm/model.onnx").tokenizer("hdfs:///models/minilm/tokenizer.json")
 *     .data("hdfs:///data/minilm/calibration").maxSamples(512)
 *     .output("hdfs:///models/minilm/w8a8").build();
 * }</pre>
 *
 * @param model the model, preset, config and output settings
 * @param data the data and Spark settings
 * @param progress where progress lines go
 */
public record JobOptions(ModelRequest model, DataRequest data, PrintWriter progress) {
  public static Builder builder() {
    return new Builder();
  }

  /** Collects the settings; {@link #build()} checks them. */
  public static final class Builder {
    private String model;
    private String preset;
    private String config;
    private String mode;
    private String output;
    private boolean overwrite;
    private boolean skipIfComplete;
    private String data;
    private String dataFormat;
    private String tokenizer;
    private int batchSize = 32;
    private Long maxSamples;
    private Integer maxLength;
    private Integer partitions;
    private long seed;
    private final Map<String, String> sparkSettings = new LinkedHashMap<>();
    private PrintWriter progress = new PrintWriter(Writer.nullWriter());

    private Builder() {}

    /** The FP32 ONNX model (required). */
    public Builder model(String location) {
      this.model = location;
      return this;
    }

    /** A preset name; wins over the config file's preset. */
    public Builder preset(String name) {
      this.preset = name;
      return this;
    }

    /** A YAML or JSON quantizer and data config. */
    public Builder config(String location) {
      this.config = location;
      return this;
    }

    /** {@code graph} or {@code eager}. */
    public Builder mode(String mode) {
      this.mode = mode;
      return this;
    }

    /** The output directory (required); complete once it holds {@code _SUCCESS}. */
    public Builder output(String location) {
      this.output = location;
      return this;
    }

    /** Replace an existing output. */
    public Builder overwrite(boolean overwrite) {
      this.overwrite = overwrite;
      return this;
    }

    /** Do nothing when the output is complete already. */
    public Builder skipIfComplete(boolean skip) {
      this.skipIfComplete = skip;
      return this;
    }

    /** The data: a file, a directory or a glob (required by data jobs). */
    public Builder data(String location) {
      this.data = location;
      return this;
    }

    /** {@code text}, {@code jsonl}, {@code images}, {@code parquet} or {@code arrow}. */
    public Builder dataFormat(String format) {
      this.dataFormat = format;
      return this;
    }

    /** A Hugging Face {@code tokenizer.json}, for text. */
    public Builder tokenizer(String location) {
      this.tokenizer = location;
      return this;
    }

    public Builder batchSize(int samples) {
      this.batchSize = samples;
      return this;
    }

    /** Use this many samples, chosen by a seeded hash of their content. */
    public Builder maxSamples(long samples) {
      this.maxSamples = samples;
      return this;
    }

    public Builder maxLength(int tokens) {
      this.maxLength = tokens;
      return this;
    }

    public Builder partitions(int partitions) {
      this.partitions = partitions;
      return this;
    }

    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** A {@code spark.*} setting of the job (in a running application, only runtime SQL settings take effect). */
    public Builder conf(String key, String value) {
      sparkSettings.put(key, value);
      return this;
    }

    /** Where progress lines go (default: nowhere). */
    public Builder progress(PrintWriter out) {
      this.progress = out;
      return this;
    }

    /**
     * The options, checked.
     *
     * @throws IllegalArgumentException naming the setting and what was expected
     */
    public JobOptions build() {
      if (model == null || output == null) {
        throw new IllegalArgumentException("model and output are required");
      }
      return new JobOptions(new ModelRequest(model, preset, config, mode, output, overwrite, false, skipIfComplete),
          data == null ? null : new DataRequest(data, dataFormat, tokenizer, batchSize, maxSamples, maxLength,
              partitions, null, sparkSettings, seed), progress);
    }
  }
}
