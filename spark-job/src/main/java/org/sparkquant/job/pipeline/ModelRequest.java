package org.sparkquant.job.pipeline;

import java.nio.file.Path;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.io.config.QuantizerConfigFiles;

/**
 * The model, quantizer config and output every command takes.
 *
 * @param model the FP32 ONNX model
 * @param preset a preset name, or null
 * @param configFile a YAML or JSON config, or null; {@code preset} replaces the file's preset
 * @param mode {@code graph} or {@code eager}, or null for the config's
 * @param output the output directory
 * @param overwrite whether an existing output may be replaced
 * @param dryRun check everything the driver can and stop before any Spark work or output
 */
public record ModelRequest(Path model, String preset, Path configFile, String mode, Path output, boolean overwrite,
    boolean dryRun) {
  public ModelRequest {
    if (mode != null && !mode.equals("graph") && !mode.equals("eager")) {
      throw new UsageError("--mode: '" + mode + "' is not one of graph, eager");
    }
  }

  /**
   * The config: the config file's, with {@code preset} in place of the file's preset when both are given (flags win
   * over files), else the preset's (default {@code defaultPreset}); then the mode.
   */
  public QuantizerConfig config(String defaultPreset) {
    QuantizerConfig config;
    if (preset != null) {
      try {
        QuantizerConfig.preset(preset);
      } catch (IllegalArgumentException e) {
        throw new UsageError("--preset: " + e.getMessage());
      }
    }
    if (configFile != null) {
      config = QuantizerConfigFiles.read(configFile, preset);
    } else {
      config = QuantizerConfig.preset(preset == null ? defaultPreset : preset);
    }
    if (mode == null) {
      return config;
    }
    return config.withMode(mode.equals("graph") ? QuantizerConfig.ExecutionMode.GRAPH
        : QuantizerConfig.ExecutionMode.EAGER);
  }
}
