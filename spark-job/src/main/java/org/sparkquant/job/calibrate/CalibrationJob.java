package org.sparkquant.job.calibrate;

import ai.djl.ndarray.NDManager;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.quantizer.ActivationStatistics;
import org.sparkquant.core.quantizer.PreparedModel;
import org.sparkquant.core.quantizer.Quantizer;
import org.sparkquant.io.config.QuantizerConfigFiles;
import org.sparkquant.io.data.BatchEncoder;
import org.sparkquant.io.data.DataConfig;
import org.sparkquant.io.data.EncodedBatch;
import org.sparkquant.io.onnx.OnnxModelReader;
import scala.Tuple2;

/**
 * Distributed calibration. The driver lists the data files; executors read them (one task per file) and, with
 * {@code --max-samples}, return only the samples' keys so that the driver can pick the samples with the smallest
 * seeded hashes. Every chosen sample gets a global index; a shuffle sends each to the partition that runs its batch
 * ({@link BatchPlan}), sorted by index. Each partition runs the prepared model in calibration mode over its batches
 * and returns its observer statistics, which the driver merges in partition-index order.
 *
 * <p>What a partition returns is a pure function of its batches, so a retried task contributes exactly once, and for
 * observers that merge exactly (min/max, histograms) the statistics do not depend on the number of partitions or the
 * master. The engine's intra-op threads are fixed to {@code spark.task.cpus} so that kernels see the same
 * threading everywhere.
 */
public final class CalibrationJob {
  /** Test hook: a partition index whose first task attempt fails (fault-injection tests of retries). */
  public static final String FAIL_FIRST_ATTEMPT_OF_PARTITION = "spark.sparkquant.test.failFirstAttemptOfPartition";

  private CalibrationJob() {}

  /**
   * What to calibrate.
   *
   * @param configYaml the quantizer config in its YAML form
   * @param data how samples are read and encoded
   * @param tokenizer bytes of tokenizer.json, or null
   * @param files data files, sorted
   * @param batchSize samples per batch
   * @param maxSamples samples to use (chosen by seeded hash), or 0 for all
   * @param seed the seed of the sample choice
   * @param partitions requested partitions
   */
  public record Spec(String configYaml, DataConfig data, byte[] tokenizer, List<String> files, int batchSize,
      long maxSamples, long seed, int partitions) implements Serializable {
    /** Which samples the job runs on. */
    public SampleSelection.Spec samples() {
      return new SampleSelection.Spec(data, files, maxSamples, seed);
    }
  }

  /**
   * What the partitions observed.
   *
   * @param partials observer statistics per partition, in partition order (merge them in this order)
   * @param plan the samples, batches and partitions that ran
   * @param dataHash a hash of the calibration samples' contents in their global order (hex)
   */
  public record Result(List<ActivationStatistics> partials, BatchPlan plan, String dataHash) {}

  /** Listens to the calibration's progress (called on the driver). */
  public interface Progress {
    /** The plan is known; {@code samplesDone} counts calibrated samples as tasks finish. */
    void planned(BatchPlan plan, LongAccumulator samplesDone);
  }

  /** Runs the job; {@code model} is the validated model's serialized bytes. */
  public static Result run(JavaSparkContext sc, byte[] model, Spec spec, Progress progress) {
    Broadcast<byte[]> modelBytes = sc.broadcast(model);
    String modelKey = modelKey(model, spec.configYaml());
    try (SampleSelection.Selected selected = SampleSelection.select(sc, spec.samples(), "calibrate")) {
      BatchPlan plan = new BatchPlan(selected.count(), spec.batchSize(), spec.partitions());
      LongAccumulator seen = sc.sc().longAccumulator("calibration samples");
      progress.planned(plan, seen);
      sc.setJobDescription("calibrate: " + selected.count() + " samples in " + plan.batches() + " batches on "
          + plan.partitionCount() + " partitions");
      List<Tuple2<Integer, ActivationStatistics>> partials = selected.samples()
          .repartitionAndSortWithinPartitions(new BatchPartitioner(plan))
          .mapPartitionsWithIndex((p, it) -> List.of(new Tuple2<>(p,
              calibratePartition(spec, plan, modelKey, modelBytes, p, it, seen))).iterator(), true)
          .collect();
      List<Tuple2<Integer, ActivationStatistics>> ordered = new ArrayList<>(partials);
      ordered.sort(Comparator.comparing(Tuple2::_1));
      return new Result(ordered.stream().map(Tuple2::_2).toList(), plan, selected.dataHash());
    } finally {
      modelBytes.destroy();
    }
  }

  /** Identifies a prepared model: the model's bytes and the config. */
  private static String modelKey(byte[] model, String configYaml) {
    try {
      java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
      d.update(model);
      d.update(configYaml.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs the partition's batches (samples arrive sorted by global index) and returns its statistics. */
  private static ActivationStatistics calibratePartition(Spec spec, BatchPlan plan, String modelKey,
      Broadcast<byte[]> model, int partition, Iterator<Tuple2<Long, byte[]>> samples, LongAccumulator seen) {
    TaskContext task = TaskContext.get();
    String fail = SparkEnv.get().conf().get(FAIL_FIRST_ATTEMPT_OF_PARTITION, "");
    if (task != null && task.attemptNumber() == 0 && fail.equals(Integer.toString(partition))) {
      throw new IllegalStateException("injected failure of partition " + partition + ", attempt 0");
    }
    EngineThreads.fixTo(SparkEnv.get().conf().getInt("spark.task.cpus", 1));
    try (ExecutorModels.Lease lease = ExecutorModels.lease(modelKey, () -> prepare(model.value(), spec));
        BatchEncoder encoder = spec.data().newEncoder(spec.tokenizer())) {
      PreparedModel m = lease.model();
      m.resetStatistics();
      try (PreparedModel.Mode c = m.calibrationMode()) {
        List<byte[]> batch = new ArrayList<>();
        long current = -1;
        while (samples.hasNext()) {
          Tuple2<Long, byte[]> s = samples.next();
          long b = plan.batchOf(s._1());
          if (b != current && !batch.isEmpty()) {
            observe(m, encoder, batch);
            seen.add(batch.size());
            batch.clear();
          }
          current = b;
          batch.add(s._2());
        }
        if (!batch.isEmpty()) {
          observe(m, encoder, batch);
          seen.add(batch.size());
        }
      }
      return m.statistics();
    }
  }

  private static PreparedModel prepare(byte[] model, Spec spec) {
    Graph graph = new OnnxModelReader().read(model, "broadcast");
    return new Quantizer(graph, QuantizerConfigFiles.parse(spec.configYaml(), "config")).prepare();
  }

  private static void observe(PreparedModel m, BatchEncoder encoder, List<byte[]> batch) {
    EncodedBatch enc = encoder.encode(batch);
    try (NDManager nd = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE)) {
      m.observe(enc.arrays(nd), enc.maskArray(nd)).close();
    }
  }
}
