/**
 * SparkQuant's jobs for a user's own Spark application: {@link org.sparkquant.job.api.SparkQuant} runs them in the
 * application's running session, with {@link org.sparkquant.job.api.JobOptions} in place of command-line options.
 */
package org.sparkquant.job.api;
