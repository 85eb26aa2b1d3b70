package org.sparkquant.job.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.sparkquant.job.pipeline.QuantizePipeline;
import org.sparkquant.job.pipeline.QuantizeReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sparkquant quantize}: data-free weight quantization (round to nearest) into an ONNX QDQ model. */
@Command(
    name = "quantize",
    mixinStandardHelpOptions = true,
    description = {
      "Quantizes a model's weights without data (round to nearest) and writes DIR/model.onnx (ONNX QDQ),",
      "DIR/report.json and DIR/_SUCCESS, atomically. Presets: w8 (default), w4g32, w4g128, w2g16, fp8, fp4g32,",
      "or a YAML/JSON config with per-layer rules;",
      "presets that quantize activations (w8a8, w4a8g32, fp8a8) need data: use 'calibrate'."
    })
public final class QuantizeCommand implements Callable<Integer> {
  @CommandLine.Mixin VerboseOption verbose;

  @CommandLine.Mixin ModelOptions model;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--matmul-nbits",
      description = "Store 4-bit blocked MatMul weights as ONNX Runtime's com.microsoft:MatMulNBits.")
  boolean matMulNBits;

  @Override
  public Integer call() throws IOException {
    QuantizePipeline.Result r = QuantizePipeline.run(model.request(), matMulNBits);
    if (r.report() == null) {
      return ModelOptions.dryRunPassed("quantize", spec.commandLine().getOut());
    }
    QuantizeReport.Totals t = r.report().totals();
    PrintWriter out = spec.commandLine().getOut();
    out.printf("quantized %d weights with %s (%s mode): %,d -> %,d bytes (%.2fx smaller), mean weight SQNR %.1f dB%n",
        t.layers(), r.config().preset(), r.report().provenance().mode(), t.bytesBefore(), t.bytesAfter(),
        t.compression(), t.meanSqnrDb());
    out.printf("wrote %s%n", model.output + "/model.onnx");
    return 0;
  }
}
