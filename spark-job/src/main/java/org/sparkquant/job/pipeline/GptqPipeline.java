package org.sparkquant.job.pipeline;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparkquant.core.export.Backend;
import org.sparkquant.core.gptq.GptqLayers;
import org.sparkquant.core.gptq.GptqOptions;
import org.sparkquant.core.gptq.GptqQuantizer;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.quantizer.PreparedModel;
import org.sparkquant.core.quantizer.Quantizer;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.quantizer.WeightQuantizer;
import org.sparkquant.io.onnx.OnnxModelWriter;
import org.sparkquant.job.gptq.GptqJob;
import org.sparkquant.job.samples.SampleSource;
import org.sparkquant.job.spark.JobContext;

/**
 * {@code gptq}: GPTQ on Spark (Hessians from the executors, solves on the driver), then, for presets with
 * activations, calibration of the quantized model; ONNX QDQ export with its report.
 */
public final class GptqPipeline {
  private GptqPipeline() {}

  /** What ran; the report is null after a dry run. */
  public record Result(QuantizerConfig config, GptqReport report) {}

  /** Checks the request, solves (default preset w4g32) and commits the output; progress goes to {@code out}. */
  public static Result run(ModelRequest model, DataRequest data, GptqOptions options, PrintWriter out)
      throws IOException {
    DataJobDriver driver = new DataJobDriver(model, data, out);
    QuantizerConfig config = model.config(driver.store(), "w4g32");
    DataJobDriver.Inputs in = driver.load();
    GptqLayers layers = GptqLayers.of(in.graph(), config);
    try {
      new GptqQuantizer(layers, options);
    } catch (IllegalArgumentException e) {
      throw new UsageError(e.getMessage());
    }
    if (layers.targets().isEmpty()) {
      throw new IllegalArgumentException("model '" + model.model() + "' has no weights that " + config.preset()
          + " quantizes; expected Conv, Gemm or MatMul weights");
    }
    long started = System.nanoTime();
    SparkConf conf = driver.sparkConf("gptq");
    List<String> files = driver.files(in.data());
    if (model.dryRun()) {
      return new Result(config, null);
    }
    try (JobContext job = JobContext.obtain(conf)) {
      JavaSparkContext sc = job.sc();
      SampleSource samples = driver.samples(in, files, sc);
      GptqJob.Result result = GptqJob.run(sc, new OnnxModelWriter().toBytes(in.graph()),
          new GptqJob.Spec(config, options, samples), out);
      WeightQuantizer.Plan plan = result.quantizer().plan();
      try (PreparedModel prepared = new Quantizer(in.graph(), config).prepare(plan)) {
        if (config.quantizesActivations()) {
          Calibration.into(prepared, sc, plan.graph(), config, samples, out);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        Provenance provenance = driver.provenance(config, result.dataHash(), files.size(), sc.sc().applicationId());
        Graph exported = provenance.writeTo(prepared.finalize(Backend.ONNX_QDQ), config, result.plan().samples())
            .build();
        GptqReport report = new GptqReport(ReportVersion.CURRENT, "gptq",
            new GptqReport.Options(options.damp(), options.blockSize(), options.actOrder(), options.staticGroups()),
            GptqReport.layers(result.quantizer(), layers),
            config.quantizesActivations() ? ActivationLayer.of(prepared) : null,
            new GptqReport.Totals(result.quantizer().results().size(), layers.fallbacks().size(),
                layers.groups().size(), ReportVersion.round2(result.quantizer().results().stream()
                    .mapToDouble(GptqQuantizer.LayerResult::seconds).sum()),
                result.plan().samples(), result.plan().batches(), result.plan().partitionCount(),
                ReportVersion.round2(seconds)),
            provenance);
        driver.write(exported, report, dir -> { });
        return new Result(config, report);
      }
    }
  }
}
