package org.sparkquant.job.pipeline;

import java.util.List;

/** The report of {@code calibrate}: each activation quantizer, the totals, and the provenance. */
public record CalibrateReport(int reportVersion, String command, List<ActivationLayer> layers, Totals totals,
    Provenance provenance) {

  /** How much ran, and how long the whole command took. */
  public record Totals(int activationQuantizers, long samples, long batches, int partitions, double seconds) {}
}
