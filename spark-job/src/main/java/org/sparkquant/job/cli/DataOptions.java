package org.sparkquant.job.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkquant.job.pipeline.DataRequest;
import picocli.CommandLine.Option;

/** The data and Spark options of the data-driven commands (calibrate, gptq, qat). */
public final class DataOptions {
  @Option(names = "--data", required = true, paramLabel = "PATH",
      description = "Data: a file, a directory or a glob, on any Hadoop file system (file:, hdfs:, s3a:, ...).")
  String data;

  @Option(names = "--data-format", paramLabel = "FORMAT",
      description = "text | jsonl | images | parquet | arrow (default: the config's data.format, else text).")
  String dataFormat;

  @Option(names = "--tokenizer", paramLabel = "tokenizer.json",
      description = "Hugging Face tokenizer for text, on any Hadoop file system.")
  String tokenizer;

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

  DataRequest request() {
    return new DataRequest(data, dataFormat, tokenizer, batchSize, maxSamples, maxLength, partitions, master,
        sparkConf, seed);
  }
}
