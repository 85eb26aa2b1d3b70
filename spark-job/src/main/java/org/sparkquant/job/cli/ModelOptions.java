package org.sparkquant.job.cli;

import org.sparkquant.job.pipeline.ModelRequest;
import picocli.CommandLine.Option;

/** The model, quantizer config and output options every command that writes a model takes. */
public final class ModelOptions {
  @Option(names = "--model", required = true, paramLabel = "M.onnx",
      description = "The FP32 ONNX model, on any Hadoop file system (local path, file:, hdfs:, s3a:, ...).")
  String model;

  @Option(names = "--preset", paramLabel = "P", description = "Preset (default: the command's; see its description).")
  String preset;

  @Option(names = "--config", paramLabel = "F.yaml",
      description = "Quantizer and data config (YAML or JSON): preset, mode, weights, activations, per-layer rules,"
          + " data.")
  String configFile;

  @Option(names = "--mode", paramLabel = "graph|eager",
      description = "graph (default) folds BatchNorm into convolutions first; eager quantizes the graph as it is.")
  String mode;

  @Option(names = "--output", required = true, paramLabel = "DIR",
      description = "Output directory on any Hadoop file system (must not exist); complete once DIR/_SUCCESS exists.")
  String output;

  @Option(names = "--overwrite", description = "Replace an existing output directory.")
  boolean overwrite;

  @Option(names = "--skip-if-complete",
      description = "Exit 0 without doing anything when DIR is a complete output (holds _SUCCESS), as on a re-run.")
  boolean skipIfComplete;

  @Option(names = "--dry-run",
      description = "Check the options, config, model, data and output path, then stop: no Spark work, no output.")
  boolean dryRun;

  /** Prints what a dry run checked; the command then exits 0. */
  static int dryRunPassed(String command, java.io.PrintWriter out) {
    out.printf("dry run: %s's checks passed; nothing was run or written%n", command);
    return 0;
  }

  ModelRequest request() {
    return new ModelRequest(model, preset, configFile, mode, output, overwrite, dryRun, skipIfComplete);
  }
}
