package org.sparkquant.job.calibrate;

import org.sparkquant.job.spark.ExecutorModels;
import org.sparkquant.job.spark.EngineThreads;
import org.sparkquant.job.samples.SampleSource;
import org.sparkquant.job.samples.PlacedSamples;
import org.sparkquant.job.samples.BatchPlan;
import ai.djl.ndarray.NDManager;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.quantizer.ActivationStatistics;
import org.sparkquant.core.quantizer.PreparedModel;
import org.sparkquant.core.quantizer.Quantizer;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.io.config.QuantizerConfigFiles;
import org.sparkquant.io.data.BatchEncoder;
import org.sparkquant.io.data.DataFormats;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.job.spark.EngineSelfCheck;
import org.sparkquant.job.spark.FailureInjection;
import scala.Tuple2;

/**
 * Distributed calibration. The samples are placed on the partitions that run their batches ({@link PlacedSamples});
 * each partition runs the prepared model in calibration mode over its batches and returns its observer statistics,
 * which the driver merges in partition-index order.
 *
 * <p>What a partition returns is a pure function of its batches, so a retried task contributes exactly once, and for
 * observers that merge exactly (min/max, histograms) the statistics do not depend on the number of partitions or the
 * master. The engine's intra-op threads are fixed to {@code spark.task.cpus} so that kernels see the same
 * threading everywhere.
 */
public final class CalibrationJob {
  private CalibrationJob() {}

  /**
   * What to calibrate.
   *
   * @param config the quantizer config
   * @param samples the calibration samples
   */
  public record Spec(QuantizerConfig config, SampleSource samples) implements Serializable {}

  /**
   * What the partitions observed.
   *
   * @param partials observer statistics per partition, in partition order (merge them in this order)
   * @param plan the samples, batches and partitions that ran
   * @param dataHash a hash of the calibration samples' contents in their global order (hex)
   */
  public record Result(List<ActivationStatistics> partials, BatchPlan plan, String dataHash) {}

  /** Runs the job; {@code model} is the validated model's serialized bytes. */
  public static Result run(JavaSparkContext sc, byte[] model, Spec spec, PlacedSamples.Progress progress) {
    Broadcast<byte[]> modelBytes = sc.broadcast(model);
    String modelKey = ExecutorModels.key(model, QuantizerConfigFiles.toYaml(spec.config()));
    try (PlacedSamples placed = PlacedSamples.place(sc, spec.samples(), "calibrate", progress)) {
      BatchPlan plan = placed.plan();
      LongAccumulator seen = placed.seen();
      sc.setJobDescription("calibrate: " + plan.samples() + " samples in " + plan.batches() + " batches on "
          + plan.partitionCount() + " partitions");
      List<Tuple2<Integer, ActivationStatistics>> partials = placed.samples()
          .mapPartitionsWithIndex((p, it) -> List.of(new Tuple2<>(p,
              calibratePartition(spec, plan, modelKey, modelBytes, p, it, seen))).iterator(), true)
          .collect();
      List<Tuple2<Integer, ActivationStatistics>> ordered = new ArrayList<>(partials);
      ordered.sort(Comparator.comparing(Tuple2::_1));
      return new Result(ordered.stream().map(Tuple2::_2).toList(), plan, placed.dataHash());
    } finally {
      modelBytes.destroy();
    }
  }

  /** Runs the partition's batches (samples arrive sorted by global index) and returns its statistics. */
  private static ActivationStatistics calibratePartition(Spec spec, BatchPlan plan, String modelKey,
      Broadcast<byte[]> model, int partition, Iterator<Tuple2<Long, byte[]>> samples, LongAccumulator seen) {
    FailureInjection.failFirstAttempt(partition);
    EngineThreads.fixTo(SparkEnv.get().conf().getInt("spark.task.cpus", 1));
    SampleSource source = spec.samples();
    try (ExecutorModels.Lease<PreparedModel> lease = ExecutorModels.lease(modelKey, () -> prepare(modelKey, model.value(), spec));
        BatchEncoder encoder = DataFormats.newEncoder(source.data(), source.tokenizer())) {
      PreparedModel m = lease.model();
      m.resetStatistics();
      try (PreparedModel.Mode c = m.calibrationMode()) {
        PlacedSamples.forEachBatch(plan, samples, (b, batch) -> {
          try (NDManager nd = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE)) {
            PlacedSamples.Inputs in = PlacedSamples.encode(encoder, batch, nd);
            m.observe(in.inputs(), in.mask()).close();
          }
          seen.add(batch.size());
        });
      }
      return m.statistics();
    }
  }

  private static PreparedModel prepare(String modelKey, byte[] model, Spec spec) {
    Graph graph = new OnnxModelReader().read(model, "broadcast");
    EngineSelfCheck.onExecutor(modelKey, graph, spec.samples().data());
    return new Quantizer(graph, spec.config()).prepare();
  }
}
