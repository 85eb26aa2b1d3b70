package org.sparkquant.job.pipeline;

import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.io.config.QuantizerConfigFiles;
import org.sparkquant.io.fs.FileStore;
import org.sparkquant.io.output.AtomicDirectory;

/**
 * The model, quantizer config and output every command takes.
 *
 * <p>Paths are locations on any Hadoop file system: plain paths (on the default file system), {@code file:},
 * {@code hdfs:}, {@code s3a:}.
 *
 * @param model the FP32 ONNX model
 * @param preset a preset name, or null
 * @param configFile a YAML or JSON config, or null; {@code preset} replaces the file's preset
 * @param mode {@code graph} or {@code eager}, or null for the config's
 * @param output the output directory
 * @param overwrite whether an existing output may be replaced
 * @param dryRun check everything the driver can and stop before any Spark work or output
 * @param skipIfComplete do nothing when the output is complete already (holds {@code _SUCCESS})
 */
public record ModelRequest(String model, String preset, String configFile, String mode, String output,
    boolean overwrite, boolean dryRun, boolean skipIfComplete) {
  public ModelRequest {
    if (mode != null && !mode.equals("graph") && !mode.equals("eager")) {
      throw new UsageError("--mode: '" + mode + "' is not one of graph, eager");
    }
  }

  /**
   * The config: the config file's, with {@code preset} in place of the file's preset when both are given (flags win
   * over files), else the preset's (default {@code defaultPreset}); then the mode.
   */
  public QuantizerConfig config(FileStore store, String defaultPreset) {
    QuantizerConfig config;
    if (preset != null) {
      try {
        QuantizerConfig.preset(preset);
      } catch (IllegalArgumentException e) {
        throw new UsageError("--preset: " + e.getMessage());
      }
    }
    if (configFile != null) {
      config = QuantizerConfigFiles.read(store, configFile, preset);
    } else {
      config = QuantizerConfig.preset(preset == null ? defaultPreset : preset);
    }
    if (mode == null) {
      return config;
    }
    return config.withMode(mode.equals("graph") ? QuantizerConfig.ExecutionMode.GRAPH
        : QuantizerConfig.ExecutionMode.EAGER);
  }

  /**
   * Checks the output before any work: with {@link #skipIfComplete}, a complete output ends the command
   * ({@link OutputComplete}); otherwise it must be absent (or {@link #overwrite}) and creatable.
   */
  void checkOutput(FileStore store) {
    if (skipIfComplete && AtomicDirectory.isComplete(store, output)) {
      throw new OutputComplete(output);
    }
    AtomicDirectory.checkWritable(store, output, overwrite);
  }

  /** The model file's name, for application names. */
  String modelName() {
    return new org.apache.hadoop.fs.Path(model).getName();
  }
}
