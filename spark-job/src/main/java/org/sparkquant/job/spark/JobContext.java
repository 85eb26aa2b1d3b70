package org.sparkquant.job.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark application a job runs in. Inside a running application (a user's own Spark program, a notebook, a
 * session started by the caller) the job joins it with {@code SparkSession.builder().getOrCreate()} and leaves it
 * running: only runtime SQL settings of the job's configuration take effect there, the application's own settings
 * (serializer, executor options) stay as they are. Otherwise the job starts an application from its configuration
 * and stops it on {@link #close()}.
 */
public final class JobContext implements AutoCloseable {
  private final SparkSession session;
  private final boolean owned;

  private JobContext(SparkSession session, boolean owned) {
    this.session = session;
    this.owned = owned;
  }

  /** Joins the running application, or starts one from {@code conf}. */
  public static JobContext obtain(SparkConf conf) {
    boolean running = SparkContexts.activeContext().isDefined();
    SparkSession session = running ? SparkSession.builder().getOrCreate()
        : SparkSession.builder().config(conf).getOrCreate();
    return new JobContext(session, !running);
  }

  public JavaSparkContext sc() {
    return JavaSparkContext.fromSparkContext(session.sparkContext());
  }

  public SparkSession session() {
    return session;
  }

  /** Whether this job started the application (and so stops it). */
  public boolean owned() {
    return owned;
  }

  /** Stops the application if the job started it. */
  @Override
  public void close() {
    if (owned) {
      session.stop();
    }
  }
}
