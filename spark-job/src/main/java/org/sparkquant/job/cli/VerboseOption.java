package org.sparkquant.job.cli;

import picocli.CommandLine.Option;

/** The {@code --verbose} flag every command accepts (read by {@link SparkQuantCli} before parsing). */
public final class VerboseOption {
  @Option(names = "--verbose", description = "Print stack traces with errors.")
  boolean verbose;
}
