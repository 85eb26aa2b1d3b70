/**
 * Spark set-up shared by the distributed jobs: the {@link org.sparkquant.job.spark.SparkContexts} every job starts
 * from (master URL checked up front, Kryo with required registration, engine settings for the executor JVMs, the
 * application jar for cluster masters, the Hadoop configuration of driver-side file work), the
 * {@link org.sparkquant.job.spark.JobContext} that joins a running application or starts (and stops) one, quiet
 * {@link org.sparkquant.job.spark.ConsoleLogging}, the {@link org.sparkquant.job.spark.SparkQuantKryoRegistrator}
 * that lists every class crossing the wire, and what executor JVMs keep between tasks: the engine's thread count
 * pinned to {@code spark.task.cpus} ({@link org.sparkquant.job.spark.EngineThreads}), prepared models cached per
 * model and config ({@link org.sparkquant.job.spark.ExecutorModels}), the engine self-check once per model
 * ({@link org.sparkquant.job.spark.EngineSelfCheck}).
 */
package org.sparkquant.job.spark;
