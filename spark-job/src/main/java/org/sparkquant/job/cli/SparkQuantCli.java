package org.sparkquant.job.cli;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code scripts/sparkquant}. */
@Command(
    name = "sparkquant",
    mixinStandardHelpOptions = true,
    version = "SparkQuant 0.1.0",
    description = "Quantization of neural networks at cluster scale.",
    subcommands = {InspectCommand.class, QuantizeCommand.class, CalibrateCommand.class, CommandLine.HelpCommand.class})
public final class SparkQuantCli implements Runnable {
  /** Exit code for bad input (model, data, config, output path). */
  public static final int EXIT_BAD_INPUT = 1;

  /** Exit code for usage errors (unknown command or option, malformed value). */
  public static final int EXIT_USAGE = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
  }

  public static void main(String[] args) {
    System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line and returns the exit code; output goes to {@code out}, errors to {@code err}. */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    boolean verbose = Arrays.asList(args).contains("--verbose");
    CommandLine cl = new CommandLine(new SparkQuantCli());
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler(
        (ex, a) -> {
          err.println("error: " + oneLine(ex.getMessage()));
          err.println("Run '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
          if (verbose) {
            ex.printStackTrace(err);
          }
          err.flush();
          return EXIT_USAGE;
        });
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          err.println("error: " + oneLine(describe(ex)));
          if (verbose) {
            ex.printStackTrace(err);
          }
          err.flush();
          return EXIT_BAD_INPUT;
        });
    int code = cl.execute(args);
    out.flush();
    return code;
  }

  private static String describe(Exception ex) {
    if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException
        || ex instanceof UncheckedIOException) {
      return ex.getMessage();
    }
    return ex.getClass().getSimpleName() + ": " + ex.getMessage();
  }

  static String oneLine(String s) {
    return s == null ? "unknown error" : s.replaceAll("\\s*\\R\\s*", " ").trim();
  }
}
