package org.sparkquant.job.pipeline;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;
import org.sparkquant.core.gptq.GptqLayers;
import org.sparkquant.core.gptq.GptqQuantizer;

/**
 * The report of {@code gptq}: the solver options, each weight (solved by GPTQ, or rounded to nearest and why), the
 * calibrated activation quantizers of presets that have them, the totals, and the provenance.
 */
public record GptqReport(int reportVersion, String command, Options options, List<Layer> layers,
    @JsonInclude(JsonInclude.Include.NON_NULL) List<ActivationLayer> activations, Totals totals,
    Provenance provenance) {

  /** The solver's options. */
  public record Options(double damp, int blockSize, boolean actOrder, boolean staticGroups) {}

  /** One weight of the report. */
  public sealed interface Layer permits Solved, Rounded {}

  /** A weight GPTQ solved: its size, Hessian rows, loss, damping used, dead columns, time and signal-to-noise. */
  public record Solved(String node, String op, String weight, String spec, String method, int rows, int cols,
      long hessianRows, Double loss, Double damping, int deadColumns, double solveSeconds, double sqnrDb)
      implements Layer {}

  /** A weight rounded to nearest instead, and why. */
  public record Rounded(String node, String op, String weight, String spec, String method, String reason)
      implements Layer {}

  /** How much ran, and how long the solves and the whole command took. */
  public record Totals(int gptqLayers, int rtnLayers, int groups, double solveSeconds, long samples, long batches,
      int partitions, double seconds) {}

  /** The layers of a run: solved ones in solving order, then the fallbacks. */
  static List<Layer> layers(GptqQuantizer q, GptqLayers layers) {
    List<Layer> out = new ArrayList<>();
    for (GptqQuantizer.LayerResult r : q.results()) {
      out.add(new Solved(r.node(), r.op(), r.weight(), r.spec(), r.method(), r.rows(), r.cols(), r.hessianRows(),
          finite(r.loss()), finite(r.damping()), r.deadColumns(), Math.round(r.seconds() * 1000) / 1000.0,
          ReportVersion.round2(r.sqnrDb())));
    }
    for (GptqLayers.Fallback f : layers.fallbacks()) {
      out.add(new Rounded(f.target().node().name(), f.target().node().opType(), f.target().weight(),
          f.target().spec().describe(), "rtn", f.reason()));
    }
    return out;
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
