package org.sparkquant.job.cli;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.sparkquant.job.pipeline.OutputComplete;
import org.sparkquant.job.pipeline.UsageError;
import org.sparkquant.job.spark.ConsoleLogging;
import org.sparkquant.job.spark.EngineThreads;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code scripts/sparkquant}. */
@Command(
    name = "sparkquant",
    mixinStandardHelpOptions = true,
    version = "SparkQuant 0.1.0",
    description = "Quantization of neural networks at cluster scale.",
    subcommands = {InspectCommand.class, QuantizeCommand.class, CalibrateCommand.class, GptqCommand.class,
        QatCommand.class, PublishCommand.class,
        CommandLine.HelpCommand.class})
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
    ConsoleLogging.quietUnlessConfigured();
    EngineThreads.keepOffline();
    System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line and returns the exit code; output goes to {@code out}, errors to {@code err}. */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    boolean verbose = Arrays.asList(args).contains("--verbose");
    CommandLine cl = new CommandLine(new SparkQuantCli());
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler(
        (ex, a) -> usageError(usageMessage(ex), ex, ex.getCommandLine(), verbose, err));
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          if (ex instanceof OutputComplete) {
            out.println(ex.getMessage());
            out.flush();
            return 0;
          }
          if (ex instanceof UsageError) {
            return usageError(ex.getMessage(), ex, cmd, verbose, err);
          }
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

  /** Reports a usage error in one line with the command's help hint; returns {@link #EXIT_USAGE}. */
  private static int usageError(String message, Exception ex, CommandLine cmd, boolean verbose, PrintWriter err) {
    err.println("error: " + oneLine(message));
    err.println("Run '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
    if (verbose) {
      ex.printStackTrace(err);
    }
    err.flush();
    return EXIT_USAGE;
  }

  /** An unknown command is named as such, with the commands there are, rather than as every argument unmatched. */
  private static String usageMessage(CommandLine.ParameterException ex) {
    CommandLine cl = ex.getCommandLine();
    if (ex instanceof CommandLine.UnmatchedArgumentException u && !cl.getSubcommands().isEmpty()
        && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
      List<String> suggestions = u.getSuggestions();
      return "unknown command '" + u.getUnmatched().get(0) + "'; expected one of "
          + String.join(", ", cl.getSubcommands().keySet())
          + (suggestions.isEmpty() ? "" : " (did you mean " + suggestions.get(0) + "?)");
    }
    return ex.getMessage();
  }

  /**
   * The message of an error for the one-line report. Bad input ({@link IllegalArgumentException}), misuse
   * ({@link IllegalStateException}) and I/O failures ({@link UncheckedIOException}) speak for themselves, also when
   * they were raised in a Spark task and arrive on the driver wrapped in a {@code SparkException} ("Job aborted due to
   * stage failure: ... most recent failure: ...: java.lang.IllegalArgumentException: ..."): the original message is
   * taken from the cause chain, or else from the task's failure reason.
   */
  static String describe(Throwable ex) {
    int depth = 0;
    for (Throwable t = ex; t != null && depth < 32; t = t.getCause(), depth++) {
      if (t instanceof IllegalArgumentException || t instanceof IllegalStateException
          || t instanceof UncheckedIOException) {
        return t.getMessage();
      }
    }
    Matcher task = TASK_FAILURE.matcher(String.valueOf(ex.getMessage()));
    if (task.find()) {
      String type = task.group(1);
      return speaksForItself(type) ? task.group(2) : type.substring(type.lastIndexOf('.') + 1) + ": " + task.group(2);
    }
    return ex.getClass().getSimpleName() + ": " + ex.getMessage();
  }

  /** The exception type and first message line of a task failure reported by Spark's scheduler. */
  private static final Pattern TASK_FAILURE =
      Pattern.compile("most recent failure: .*?\\): ([\\w.$]+(?:Exception|Error)): ([^\\n]*)", Pattern.DOTALL);

  private static boolean speaksForItself(String exceptionClass) {
    return exceptionClass.equals(IllegalArgumentException.class.getName())
        || exceptionClass.equals(IllegalStateException.class.getName())
        || exceptionClass.equals(UncheckedIOException.class.getName());
  }

  static String oneLine(String s) {
    return s == null ? "unknown error" : s.replaceAll("\\s*\\R\\s*", " ").trim();
  }
}
