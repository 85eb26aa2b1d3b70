package org.sparkquant.job.pipeline;

/** The version of the {@code report.json} layout; it changes when a key is renamed, moved or removed. */
public final class ReportVersion {
  /** The current layout. */
  public static final int CURRENT = 1;

  private ReportVersion() {}

  /** Rounds to two decimals, as reports show seconds, ratios and decibels. */
  static double round2(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
