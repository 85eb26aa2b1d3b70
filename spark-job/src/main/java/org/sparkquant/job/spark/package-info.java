/**
 * Spark plumbing shared by the distributed jobs: the {@link org.sparkquant.job.spark.SparkContexts} that every job
 * starts from (master URL checked up front, Kryo with required registration, engine settings for the executor JVMs,
 * the application jar for cluster masters) and the {@link org.sparkquant.job.spark.SparkQuantKryoRegistrator} that
 * lists every class crossing the wire.
 */
package org.sparkquant.job.spark;
