package org.sparkquant.job.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.quantizer.WeightQuantizer;
import org.sparkquant.io.config.QuantizerConfigFiles;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.io.onnx.OnnxModelWriter;
import org.sparkquant.io.output.AtomicDirectory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sparkquant quantize}: data-free weight quantization (round to nearest) into an ONNX QDQ model. */
@Command(
    name = "quantize",
    mixinStandardHelpOptions = true,
    description = {
      "Quantizes a model's weights without data (round to nearest) and writes DIR/model.onnx (ONNX QDQ),",
      "DIR/report.json and DIR/_SUCCESS, atomically. Presets: w8, w4g32, w4g128, w2g16, fp8, fp4g32,",
      "or a YAML/JSON config with per-layer rules;",
      "presets that quantize activations (w8a8, w4a8g32, fp8a8) need data: use 'calibrate'."
    })
public final class QuantizeCommand implements Callable<Integer> {
  /** Version recorded in outputs. */
  static final String VERSION = "0.1.0";

  @CommandLine.Mixin VerboseOption verbose;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "M.onnx", description = "The FP32 ONNX model.")
  Path model;

  @Option(names = "--preset", paramLabel = "P", description = "Preset (default: w8).")
  String preset;

  @Option(names = "--config", paramLabel = "F.yaml",
      description = "Quantizer config (YAML or JSON): preset, mode, weights, per-layer rules.")
  Path configFile;

  @Option(names = "--mode", paramLabel = "graph|eager",
      description = "graph (default) folds BatchNorm into convolutions first; eager quantizes the graph as it is.")
  String mode;

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output directory (must not exist).")
  Path output;

  @Option(names = "--overwrite", description = "Replace an existing output directory.")
  boolean overwrite;

  @Option(names = "--matmul-nbits",
      description = "Store 4-bit blocked MatMul weights as ONNX Runtime's com.microsoft:MatMulNBits.")
  boolean matMulNBits;

  @Override
  public Integer call() throws IOException {
    QuantizerConfig config = config();
    AtomicDirectory.checkWritable(output, overwrite);
    Graph graph = new OnnxModelReader().read(model);
    WeightQuantizer.Result result = WeightQuantizer.quantize(graph, config, matMulNBits);
    String sha = sha256(model);
    Graph.Builder withProvenance = result.graph().toBuilder()
        .metadata("sparkquant.version", VERSION)
        .metadata("sparkquant.preset", config.preset())
        .metadata("sparkquant.mode", modeName(config))
        .metadata("sparkquant.source_sha256", sha)
        .metadata("sparkquant.config", QuantizerConfigFiles.toYaml(config));
    Graph out = withProvenance.build();
    Map<String, Object> report = report(config, result, sha);
    AtomicDirectory.write(output, overwrite, dir -> {
      new OnnxModelWriter().write(out, dir.resolve("model.onnx"));
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("report.json").toFile(),
          report);
    });
    @SuppressWarnings("unchecked")
    Map<String, Object> totals = (Map<String, Object>) report.get("totals");
    PrintWriter pw = spec.commandLine().getOut();
    pw.printf("quantized %d weights with %s (%s mode): %,d -> %,d bytes (%.2fx smaller), mean weight SQNR %.1f dB%n",
        result.layers().size(), config.preset(), modeName(config), (Long) totals.get("bytes_before"),
        (Long) totals.get("bytes_after"), (Double) totals.get("compression"), (Double) totals.get("mean_sqnr_db"));
    pw.printf("wrote %s%n", output.resolve("model.onnx"));
    return 0;
  }

  /** The config from {@code --config} or {@code --preset}, with {@code --mode} applied. */
  private QuantizerConfig config() {
    if (preset != null && configFile != null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "give --preset or --config, not both");
    }
    QuantizerConfig config;
    if (configFile != null) {
      config = QuantizerConfigFiles.read(configFile);
    } else {
      try {
        config = QuantizerConfig.preset(preset == null ? "w8" : preset);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--preset: " + e.getMessage());
      }
    }
    if (config.quantizesActivations()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "preset " + config.preset()
          + " quantizes activations, which needs calibration data: use 'sparkquant calibrate'");
    }
    return withMode(config, mode, spec);
  }

  /** {@code config} with the execution mode of {@code --mode} ({@code graph} or {@code eager}), if given. */
  static QuantizerConfig withMode(QuantizerConfig config, String mode, CommandLine.Model.CommandSpec spec) {
    if (mode == null) {
      return config;
    }
    return switch (mode) {
      case "graph" -> config.withMode(QuantizerConfig.ExecutionMode.GRAPH);
      case "eager" -> config.withMode(QuantizerConfig.ExecutionMode.EAGER);
      default -> throw new CommandLine.ParameterException(spec.commandLine(),
          "--mode: '" + mode + "' is not one of graph, eager");
    };
  }

  private String modeName(QuantizerConfig config) {
    return config.mode().name().toLowerCase(java.util.Locale.ROOT);
  }

  private Map<String, Object> report(QuantizerConfig config, WeightQuantizer.Result result, String sha) {
    List<Map<String, Object>> layers = result.layers().stream().map(l -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", l.node());
      m.put("op", l.op());
      m.put("weight", l.weight());
      m.put("quantization", l.spec());
      m.put("sqnr_db", Double.isInfinite(l.sqnrDb()) ? null : round(l.sqnrDb()));
      m.put("bytes_before", l.bytesBefore());
      m.put("bytes_after", l.bytesAfter());
      return m;
    }).toList();
    long before = result.layers().stream().mapToLong(WeightQuantizer.LayerReport::bytesBefore).sum();
    long after = result.layers().stream().mapToLong(WeightQuantizer.LayerReport::bytesAfter).sum();
    double meanSqnr = result.layers().stream().mapToDouble(WeightQuantizer.LayerReport::sqnrDb)
        .filter(Double::isFinite).average().orElse(Double.NaN);
    Map<String, Object> totals = new LinkedHashMap<>();
    totals.put("layers", layers.size());
    totals.put("bytes_before", before);
    totals.put("bytes_after", after);
    totals.put("compression", after == 0 ? 1.0 : round((double) before / after));
    totals.put("mean_sqnr_db", round(meanSqnr));
    Map<String, Object> provenance = new LinkedHashMap<>();
    provenance.put("sparkquant", VERSION);
    provenance.put("preset", config.preset());
    provenance.put("mode", modeName(config));
    provenance.put("matmul_nbits", matMulNBits);
    if (configFile != null) {
      provenance.put("config", QuantizerConfigFiles.toYaml(config));
    }
    provenance.put("model", model.toString());
    provenance.put("model_sha256", sha);
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("command", "quantize");
    report.put("layers", layers);
    report.put("totals", totals);
    report.put("provenance", provenance);
    return report;
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  static String sha256(Path file) throws IOException {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
