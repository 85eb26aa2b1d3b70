package org.sparkquant.job.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.sparkquant.job.pipeline.CalibratePipeline;
import org.sparkquant.job.pipeline.CalibrateReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code sparkquant calibrate}: distributed activation calibration on Spark, then ONNX QDQ export. */
@Command(
    name = "calibrate",
    mixinStandardHelpOptions = true,
    description = {
      "Calibrates activation quantizers on Spark: executors run the prepared model over their shard of the data",
      "and return observer statistics, which the driver merges in partition order. Writes DIR/model.onnx (ONNX QDQ),",
      "DIR/report.json and DIR/_SUCCESS, atomically. Runs on an embedded local master by default, and under",
      "spark-submit on a cluster. Default preset: w8a8."
    })
public final class CalibrateCommand implements Callable<Integer> {
  @CommandLine.Mixin VerboseOption verbose;

  @CommandLine.Mixin ModelOptions model;

  @CommandLine.Mixin DataOptions data;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    CalibratePipeline.Result r = CalibratePipeline.run(model.request(), data.request(), out);
    if (r.report() == null) {
      return ModelOptions.dryRunPassed("calibrate", out);
    }
    CalibrateReport.Totals t = r.report().totals();
    out.printf("calibrated %d activation quantizers with %s on %,d samples (%d batches, %d partitions) in %.1f s%n",
        t.activationQuantizers(), r.config().preset(), t.samples(), t.batches(), t.partitions(), t.seconds());
    out.printf("wrote %s%n", model.output + "/model.onnx");
    return 0;
  }
}
