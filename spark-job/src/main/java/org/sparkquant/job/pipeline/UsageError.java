package org.sparkquant.job.pipeline;

/**
 * A request the command line got wrong (a number out of range, options that exclude each other, a preset that does
 * not fit the command): the CLI reports it with the command's usage hint and exit code 2.
 */
public final class UsageError extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public UsageError(String message) {
    super(message);
  }

  /** Checks that {@code option}'s value is positive. */
  public static void positive(String option, long value) {
    if (value < 1) {
      throw new UsageError(option + ": expected a positive number, found " + value);
    }
  }
}
