package org.sparkquant.job.pipeline;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.sparkquant.job.spark.SparkContexts;

/**
 * The data and Spark settings of a data-driven command (calibrate, gptq, qat), checked as it is built.
 *
 * @param data a file, a directory or a glob on any Hadoop file system
 * @param dataFormat the format's command-line name, or null for the config's
 * @param tokenizer a Hugging Face tokenizer for text, or null
 * @param batchSize samples per batch
 * @param maxSamples samples to use (chosen by a seeded hash), or null for all
 * @param maxLength token limit per text sample, or null for the config's
 * @param partitions partitions, or null for four per core of the master
 * @param master the Spark master, or null for the default (or spark-submit's)
 * @param sparkSettings Spark settings that win over spark-submit's
 * @param seed the seed of the sample choice
 */
public record DataRequest(String data, String dataFormat, String tokenizer, int batchSize, Long maxSamples,
    Integer maxLength, Integer partitions, String master, Map<String, String> sparkSettings, long seed) {
  public DataRequest {
    sparkSettings = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sparkSettings));
    UsageError.positive("--batch-size", batchSize);
    if (maxSamples != null) {
      UsageError.positive("--max-samples", maxSamples);
    }
    if (maxLength != null) {
      UsageError.positive("--max-length", maxLength);
    }
    if (partitions != null) {
      UsageError.positive("--partitions", partitions);
    }
    try {
      if (master != null) {
        SparkContexts.checkMaster(master);
      }
      if (master != null && master.startsWith("local-cluster") && System.getenv("SPARK_HOME") == null) {
        throw new UsageError("--master " + master + " starts executor JVMs from a Spark installation: set"
            + " SPARK_HOME to one (scripts/sparkquant uses spark-job/target/spark-home, which 'mvn package' makes"
            + " unless it skips the tests)");
      }
      sparkSettings.keySet().forEach(SparkContexts::checkSetting);
    } catch (IllegalArgumentException e) {
      throw new UsageError(e.getMessage());
    }
  }

  /** The Spark settings of a run named {@code appName}. */
  public SparkConf sparkConf(String appName) {
    return SparkContexts.conf(master, appName, sparkSettings);
  }

  /** Spark settings as the driver sees them before Spark starts: spark-submit's, then the request's. */
  SparkConf settings() {
    SparkConf settings = new SparkConf();
    sparkSettings.forEach(settings::set);
    return settings;
  }

  /** {@link #maxSamples}, 0 for all. */
  public long sampleLimit() {
    return maxSamples == null ? 0 : maxSamples;
  }
}
