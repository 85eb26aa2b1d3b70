package org.sparkquant.job.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.sparkquant.core.gptq.GptqConfig;
import org.sparkquant.core.gptq.GptqOptions;
import org.sparkquant.job.pipeline.GptqPipeline;
import org.sparkquant.job.pipeline.GptqReport;
import org.sparkquant.job.pipeline.UsageError;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sparkquant gptq}: GPTQ weight quantization on Spark, then ONNX QDQ export. */
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

  @CommandLine.Mixin ModelOptions model;

  @CommandLine.Mixin DataOptions data;

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
    PrintWriter out = spec.commandLine().getOut();
    GptqPipeline.Result r = GptqPipeline.run(model.request(), data.request(), options(), out);
    if (r.report() == null) {
      return ModelOptions.dryRunPassed("gptq", out);
    }
    GptqReport.Totals t = r.report().totals();
    out.printf("quantized %d weights with GPTQ %s (%d by round to nearest) on %,d samples (%d batches,"
        + " %d partitions) in %.1f s%n", t.gptqLayers(), r.config().preset(), t.rtnLayers(), t.samples(),
        t.batches(), t.partitions(), t.seconds());
    out.printf("wrote %s%n", model.output + "/model.onnx");
    return 0;
  }

  private GptqOptions options() {
    UsageError.positive("--block-size", blockSize);
    try {
      return new GptqOptions(damp, blockSize, actOrder, staticGroups);
    } catch (IllegalArgumentException e) {
      throw new UsageError(e.getMessage());
    }
  }
}
