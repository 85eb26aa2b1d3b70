/**
 * The {@code sparkquant} command line: parses options into requests of the driver layer
 * ({@link org.sparkquant.job.pipeline}), runs one pipeline per subcommand and prints its summary; one-line errors with
 * exit code 2 for usage mistakes and 1 for bad input, stack traces only with {@code --verbose}.
 */
package org.sparkquant.job.cli;
