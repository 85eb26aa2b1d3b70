package org.sparkquant.job.pipeline;

import java.util.List;
import org.sparkquant.core.quantizer.PreparedModel;

/**
 * One calibrated activation quantizer in a report: the value, the quantizer it shares parameters with, the chosen
 * type, scale and zero point, the observed range, the fraction of observed values clipped, and the samples seen.
 */
public record ActivationLayer(String name, String sharesWith, String type, float scale, int zeroPoint,
    float observedMin, float observedMax, Double clippedFraction, long samples) {

  /** The activation quantizers of {@code prepared}, in order. */
  static List<ActivationLayer> of(PreparedModel prepared) {
    return prepared.activationReports().stream().map(r -> new ActivationLayer(r.value(),
        r.group().equals(r.value()) ? null : r.group(), r.params().type().name(), r.params().scale()[0],
        r.params().zeroPoint()[0], r.observedMin(), r.observedMax(),
        Double.isNaN(r.clippedFraction()) ? null : r.clippedFraction(), r.samples())).toList();
  }
}
