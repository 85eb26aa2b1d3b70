package org.sparkquant.job.pipeline;

/**
 * Ends a command that was asked to skip a complete output ({@code --skip-if-complete}) and found one: not an error,
 * the command exits 0.
 */
public final class OutputComplete extends RuntimeException {
  public OutputComplete(String output) {
    super("output '" + output + "' is complete (it holds _SUCCESS); nothing to do", null, false, false);
  }
}
