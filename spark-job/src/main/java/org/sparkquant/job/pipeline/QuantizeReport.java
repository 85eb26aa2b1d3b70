package org.sparkquant.job.pipeline;

import java.util.List;
import org.sparkquant.core.quantizer.WeightQuantizer;

/**
 * The report of {@code quantize}: each weight's quantization, signal-to-noise ratio and bytes, the totals, and the
 * provenance.
 */
public record QuantizeReport(int reportVersion, String command, List<Layer> layers, Totals totals,
    Provenance provenance) {

  /** One quantized weight. */
  public record Layer(String name, String op, String weight, String quantization, Double sqnrDb, long bytesBefore,
      long bytesAfter) {
    static Layer of(WeightQuantizer.LayerReport l) {
      return new Layer(l.node(), l.op(), l.weight(), l.spec(),
          Double.isInfinite(l.sqnrDb()) ? null : ReportVersion.round2(l.sqnrDb()), l.bytesBefore(), l.bytesAfter());
    }
  }

  /** Sizes before and after, and the mean signal-to-noise ratio of the finite ones. */
  public record Totals(int layers, long bytesBefore, long bytesAfter, double compression, double meanSqnrDb) {}

  static QuantizeReport of(WeightQuantizer.Result result, Provenance provenance) {
    List<Layer> layers = result.layers().stream().map(Layer::of).toList();
    long before = result.layers().stream().mapToLong(WeightQuantizer.LayerReport::bytesBefore).sum();
    long after = result.layers().stream().mapToLong(WeightQuantizer.LayerReport::bytesAfter).sum();
    double meanSqnr = result.layers().stream().mapToDouble(WeightQuantizer.LayerReport::sqnrDb)
        .filter(Double::isFinite).average().orElse(Double.NaN);
    Totals totals = new Totals(layers.size(), before, after,
        after == 0 ? 1.0 : ReportVersion.round2((double) before / after), ReportVersion.round2(meanSqnr));
    return new QuantizeReport(ReportVersion.CURRENT, "quantize", layers, totals, provenance);
  }
}
