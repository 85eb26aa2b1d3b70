package org.sparkquant.job.pipeline;

import org.apache.spark.SparkConf;
import org.sparkquant.io.output.LatestPointer;
import org.sparkquant.job.spark.SparkContexts;

/** {@code publish}: points a {@code latest} file at a complete output. */
public final class PublishPipeline {
  private PublishPipeline() {}

  /** Points {@code latest} at {@code output} once it is complete; returns the URI written. */
  public static String run(String output, String latest) {
    return LatestPointer.write(SparkContexts.fileStore(new SparkConf()), output, latest);
  }
}
