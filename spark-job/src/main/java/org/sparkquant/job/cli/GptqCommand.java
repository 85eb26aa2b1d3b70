package org.sparkquant.job.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparkquant.core.gptq.GptqConfig;
import org.sparkquant.core.gptq.GptqLayers;
import org.sparkquant.core.gptq.GptqOptions;
import org.sparkquant.core.gptq.GptqQuantizer;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.quantizer.Backend;
import org.sparkquant.core.quantizer.PreparedModel;
import org.sparkquant.core.quantizer.Quantizer;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.quantizer.WeightQuantizer;
import org.sparkquant.io.config.QuantizerConfigFiles;
import org.sparkquant.io.onnx.OnnxModelWriter;
import org.sparkquant.job.calibrate.SampleSource;
import org.sparkquant.job.gptq.GptqJob;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sparkquant gptq}: distributed GPTQ on Spark (then, for presets with activations, calibration). */
@Command(
    name = "gptq",
    mixinStandardHelpOptions = true,
    description = {
      "Quantizes weights with GPTQ on Spark: executors push their shard of the data through the model once, layer",
      "group by layer group, and return Hessian sums; the driver solves each group on the outputs of the groups",
      "already quantized. Presets w4g32 (default), w4g128, w8, w2g16, and w4a8g32 (GPTQ weights, then activation",
      "calibration on the quantized model). Writes DIR/model.onnx (ONNX QDQ), DIR/report.json and DIR/_SUCCESS,",
      "atomically."
    })
public final class GptqCommand implements Callable<Integer> {
  @CommandLine.Mixin VerboseOption verbose;

  @CommandLine.Mixin DataJobOptions job;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--damp", paramLabel = "λ", description = "Relative damping of the Hessian (default: 0.01).")
  double damp = GptqConfig.DEFAULT_DAMP;

  @Option(names = "--block-size", paramLabel = "N", description = "Columns per lazy batch update (default: 128).")
  int blockSize = GptqConfig.DEFAULT_BLOCK_SIZE;

  @Option(names = "--act-order", description = "Quantize columns by decreasing Hessian diagonal.")
  boolean actOrder;

  @Option(names = "--static-groups",
      description = "Group parameters from the original weights (needed with --act-order for grouped presets).")
  boolean staticGroups;

  @Override
  public Integer call() throws IOException {
    job.checkNumbers();
    job.positive("--block-size", blockSize);
    GptqOptions options;
    try {
      options = new GptqOptions(damp, blockSize, actOrder, staticGroups);
    } catch (IllegalArgumentException e) {
      throw job.usage(e.getMessage());
    }
    QuantizerConfig config = job.config("w4g32");
    DataJobOptions.Inputs in = job.load();
    GptqLayers layers = GptqLayers.of(in.graph(), config);
    try {
      new GptqQuantizer(layers, options);
    } catch (IllegalArgumentException e) {
      throw job.usage(e.getMessage());
    }
    if (layers.targets().isEmpty()) {
      throw new IllegalArgumentException("model '" + job.model + "' has no weights that " + config.preset()
          + " quantizes; expected Conv, Gemm or MatMul weights");
    }
    PrintWriter out = spec.commandLine().getOut();
    long started = System.nanoTime();
    SparkConf conf = job.sparkConf("gptq");
    List<String> files = job.files(conf, in.data());
    try (JavaSparkContext sc = new JavaSparkContext(conf)) {
      SampleSource samples = job.samples(in, files, sc);
      GptqJob.Result result = GptqJob.run(sc, new OnnxModelWriter().toBytes(in.graph()),
          new GptqJob.Spec(QuantizerConfigFiles.toYaml(config), options, samples), out);
      WeightQuantizer.Plan plan = result.quantizer().plan();
      try (PreparedModel prepared = new Quantizer(in.graph(), config).prepare(plan)) {
        if (config.quantizesActivations()) {
          CalibrateCommand.calibrateInto(prepared, sc, plan.graph(), config, samples, out);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        String sha = QuantizeCommand.sha256(job.model);
        Graph exported = job.withMetadata(prepared.finalize(Backend.ONNX_QDQ), config, sha, result.dataHash(),
            result.plan().samples());
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("command", "gptq");
        report.put("options", Map.of("damp", damp, "block_size", blockSize, "act_order", actOrder,
            "static_groups", staticGroups));
        report.put("layers", layers(result.quantizer(), layers));
        if (config.quantizesActivations()) {
          report.put("activations", CalibrateCommand.activationLayers(prepared));
        }
        report.put("totals", totals(result, layers, seconds));
        report.put("provenance", job.provenance(config, sha, result.dataHash(), files.size(),
            sc.sc().applicationId()));
        job.write(exported, report);
        out.printf("quantized %d weights with GPTQ %s (%d by round to nearest) on %,d samples (%d batches,"
                + " %d partitions) in %.1f s%n", result.quantizer().results().size(), config.preset(),
            layers.fallbacks().size(), result.plan().samples(), result.plan().batches(),
            result.plan().partitionCount(), seconds);
        out.printf("wrote %s%n", job.output.resolve("model.onnx"));
      }
    }
    return 0;
  }

  private static List<Map<String, Object>> layers(GptqQuantizer q, GptqLayers layers) {
    List<Map<String, Object>> out = new java.util.ArrayList<>();
    for (GptqQuantizer.LayerResult r : q.results()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("node", r.node());
      m.put("op", r.op());
      m.put("weight", r.weight());
      m.put("spec", r.spec());
      m.put("method", r.method());
      m.put("rows", r.rows());
      m.put("cols", r.cols());
      m.put("hessian_rows", r.hessianRows());
      m.put("loss", finite(r.loss()));
      m.put("damping", finite(r.damping()));
      m.put("dead_columns", r.deadColumns());
      m.put("solve_seconds", Math.round(r.seconds() * 1000) / 1000.0);
      m.put("sqnr_db", Math.round(r.sqnrDb() * 100) / 100.0);
      out.add(m);
    }
    for (GptqLayers.Fallback f : layers.fallbacks()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("node", f.target().node().name());
      m.put("op", f.target().node().opType());
      m.put("weight", f.target().weight());
      m.put("spec", f.target().spec().describe());
      m.put("method", "rtn");
      m.put("reason", f.reason());
      out.add(m);
    }
    return out;
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static Map<String, Object> totals(GptqJob.Result result, GptqLayers layers, double seconds) {
    Map<String, Object> totals = new LinkedHashMap<>();
    totals.put("gptq_layers", result.quantizer().results().size());
    totals.put("rtn_layers", layers.fallbacks().size());
    totals.put("groups", layers.groups().size());
    totals.put("solve_seconds", Math.round(result.quantizer().results().stream()
        .mapToDouble(GptqQuantizer.LayerResult::seconds).sum() * 100) / 100.0);
    totals.put("samples", result.plan().samples());
    totals.put("batches", result.plan().batches());
    totals.put("partitions", result.plan().partitionCount());
    totals.put("seconds", Math.round(seconds * 100) / 100.0);
    return totals;
  }
}
