/**
 * The {@code sparkquant} command line: one subcommand per job, one-line errors with exit code 2 for usage mistakes
 * and 1 for bad input, stack traces only with {@code --verbose}.
 */
package org.sparkquant.job.cli;
