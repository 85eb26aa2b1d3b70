package org.sparkquant.job.pipeline;

import java.io.IOException;
import org.apache.spark.SparkConf;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.quantizer.WeightQuantizer;
import org.sparkquant.io.fs.FileStore;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.job.spark.SparkContexts;

/** {@code quantize}: data-free weight quantization (round to nearest) into an ONNX QDQ model, with its report. */
public final class QuantizePipeline {
  private QuantizePipeline() {}

  /** What ran; the report is null after a dry run. */
  public record Result(QuantizerConfig config, QuantizeReport report) {}

  /**
   * Quantizes {@code request}'s model (default preset w8) and commits the output.
   *
   * @param matMulNBits store 4-bit blocked MatMul weights as ONNX Runtime's {@code com.microsoft:MatMulNBits}
   */
  public static Result run(ModelRequest request, boolean matMulNBits) throws IOException {
    FileStore store = SparkContexts.fileStore(new SparkConf());
    QuantizerConfig config = request.config(store, "w8");
    if (config.quantizesActivations()) {
      throw new UsageError("preset " + config.preset()
          + " quantizes activations, which needs calibration data: use 'sparkquant calibrate'");
    }
    request.checkOutput(store);
    Graph graph = new OnnxModelReader().read(store, request.model());
    if (request.dryRun()) {
      return new Result(config, null);
    }
    WeightQuantizer.Result result = WeightQuantizer.quantize(graph, config, matMulNBits);
    Provenance provenance = Provenance.of(request, config, matMulNBits,
        Provenance.sha256(store, request.model()));
    QuantizeReport report = QuantizeReport.of(result, provenance);
    OutputCommit.write(store, request.output(), request.overwrite(),
        provenance.writeTo(result.graph(), config, null).build(), report, dir -> { });
    return new Result(config, report);
  }
}
