package org.sparkquant.job.samples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;
import org.sparkquant.core.exec.EngineArrays;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.io.data.BatchEncoder;
import org.sparkquant.io.data.CloseableIterator;
import org.sparkquant.io.data.DataFormats;
import org.sparkquant.io.data.EncodedBatch;
import scala.Tuple2;

/**
 * A job's samples, numbered in one global order and placed on the partitions that run their batches. The driver
 * lists the data files; executors read them (one task per file) and, with {@code maxSamples}, return only the
 * samples' keys so that the driver can pick the samples with the smallest seeded hashes. Every chosen sample gets a
 * global index; a shuffle sends each to the partition that runs its batch ({@link BatchPlan}), sorted by index.
 * Close it when the job is done (it releases its broadcasts).
 */
public final class PlacedSamples implements AutoCloseable {
  /** Listens to a job's progress (called on the driver). */
  public interface Progress {
    /** The plan is known; {@code samplesDone} counts processed samples as tasks finish. */
    void planned(BatchPlan plan, LongAccumulator samplesDone);
  }

  /** Receives a partition's batches in order. */
  public interface BatchConsumer {
    void accept(long batch, List<byte[]> payloads);
  }

  /** One batch on the engine: the model's inputs and the observe mask ({@code null} when every row counts). */
  public record Inputs(Map<String, NDArray> inputs, NDArray mask) {}

  private final JavaPairRDD<Long, byte[]> samples;
  private final BatchPlan plan;
  private final String dataHash;
  private final LongAccumulator seen;
  private final List<Broadcast<?>> broadcasts;

  private PlacedSamples(JavaPairRDD<Long, byte[]> samples, BatchPlan plan, String dataHash, LongAccumulator seen,
      List<Broadcast<?>> broadcasts) {
    this.samples = samples;
    this.plan = plan;
    this.dataHash = dataHash;
    this.seen = seen;
    this.broadcasts = broadcasts;
  }

  /** (global index, payload), partitioned by {@link BatchPartitioner} and sorted by index within partitions. */
  public JavaPairRDD<Long, byte[]> samples() {
    return samples;
  }

  public BatchPlan plan() {
    return plan;
  }

  /** A hash of the chosen samples' contents in their global order (hex). */
  public String dataHash() {
    return dataHash;
  }

  /** Counts processed samples; tasks add to it. */
  public LongAccumulator seen() {
    return seen;
  }

  /**
   * Lists and chooses the samples (Spark jobs named after {@code verb}) and describes the placement; the shuffle runs
   * with the first action on {@link #samples()}.
   *
   * @throws IllegalArgumentException when the data has no samples
   */
  public static PlacedSamples place(JavaSparkContext sc, SampleSource source, String verb, Progress progress) {
    List<Broadcast<?>> broadcasts = new ArrayList<>();
    Broadcast<Map<String, String>> hadoop = sc.broadcast(hadoopEntries(sc.hadoopConfiguration()));
    broadcasts.add(hadoop);
    int files = source.files().size();
    List<Integer> fileIndexes = new ArrayList<>();
    for (int i = 0; i < files; i++) {
      fileIndexes.add(i);
    }
    JavaRDD<Integer> fileRdd = sc.parallelize(fileIndexes, files);
    Map<SampleKey, Long> chosen;
    long[] offsets;
    long count;
    long dataHash = 0;
    if (source.maxSamples() > 0) {
      sc.setJobDescription(verb + ": hash samples of " + files + " file(s) to choose " + source.maxSamples());
      List<SampleKey> keys = fileRdd.flatMap(f -> keys(source, hadoop.value(), f))
          .takeOrdered((int) source.maxSamples());
      chosen = new HashMap<>();
      for (SampleKey k : keys) {
        chosen.put(k, (long) chosen.size());
        dataHash = combine(dataHash, k.hash());
      }
      offsets = null;
      count = keys.size();
    } else {
      sc.setJobDescription(verb + ": count samples in " + files + " file(s)");
      List<Tuple2<Integer, long[]>> counts = fileRdd
          .mapToPair(f -> new Tuple2<>(f, count(source, hadoop.value(), f))).collect();
      offsets = new long[files + 1];
      long[] fileHashes = new long[files];
      for (Tuple2<Integer, long[]> c : counts) {
        offsets[c._1() + 1] = c._2()[0];
        fileHashes[c._1()] = c._2()[1];
      }
      for (int i = 0; i < files; i++) {
        offsets[i + 1] += offsets[i];
        dataHash = combine(dataHash, fileHashes[i]);
      }
      chosen = null;
      count = offsets[files];
    }
    if (count == 0) {
      String hint = source.data().format().isText() ? " (blank lines are not samples)" : "";
      throw new IllegalArgumentException((files == 1 ? "data file '" + source.files().get(0) + "' has no samples"
          : "the " + files + " data files ('" + source.files().get(0) + "', ...) have no samples") + hint
          + "; expected at least one");
    }
    BatchPlan plan = new BatchPlan(count, source.batchSize(), source.partitions());
    LongAccumulator seen = sc.sc().longAccumulator(verb + " samples");
    progress.planned(plan, seen);
    Broadcast<Map<SampleKey, Long>> chosenB = sc.broadcast(chosen);
    broadcasts.add(chosenB);
    long[] offsetsF = offsets;
    JavaPairRDD<Long, byte[]> placed = fileRdd
        .flatMapToPair(f -> place(source, hadoop.value(), f, chosenB.value(), offsetsF))
        .repartitionAndSortWithinPartitions(new BatchPartitioner(plan));
    return new PlacedSamples(placed, plan, String.format("%016x", dataHash), seen, broadcasts);
  }

  /**
   * Groups a partition's samples (sorted by global index) into its batches, in order.
   *
   * @return the number of samples
   */
  public static long forEachBatch(BatchPlan plan, Iterator<Tuple2<Long, byte[]>> samples, BatchConsumer consumer) {
    List<byte[]> batch = new ArrayList<>();
    long current = -1;
    long n = 0;
    while (samples.hasNext()) {
      Tuple2<Long, byte[]> s = samples.next();
      long b = plan.batchOf(s._1());
      if (b != current && !batch.isEmpty()) {
        consumer.accept(current, List.copyOf(batch));
        batch.clear();
      }
      current = b;
      batch.add(s._2());
      n++;
    }
    if (!batch.isEmpty()) {
      consumer.accept(current, List.copyOf(batch));
    }
    return n;
  }

  /** Encodes a batch onto the engine; the arrays belong to {@code nd}. */
  public static Inputs encode(BatchEncoder encoder, List<byte[]> batch, NDManager nd) {
    EncodedBatch enc = encoder.encode(batch);
    Map<String, NDArray> inputs = new HashMap<>();
    for (Map.Entry<String, Tensor> e : enc.inputs().entrySet()) {
      inputs.put(e.getKey(), EngineArrays.toArray(nd, e.getValue()));
    }
    NDArray mask = enc.observeMask() == null ? null : EngineArrays.toArray(nd, enc.observeMask());
    return new Inputs(inputs, mask);
  }

  @Override
  public void close() {
    broadcasts.forEach(Broadcast::destroy);
  }

  /** Order-dependent combination of sample hashes. */
  private static long combine(long acc, long hash) {
    return SampleKey.hash(acc, java.nio.ByteBuffer.allocate(8).putLong(hash).array());
  }

  private static Map<String, String> hadoopEntries(Configuration conf) {
    Map<String, String> m = new HashMap<>();
    conf.forEach(e -> m.put(e.getKey(), e.getValue()));
    return m;
  }

  private static Configuration hadoopConf(Map<String, String> entries) {
    Configuration c = new Configuration(false);
    entries.forEach(c::set);
    return c;
  }

  /** Reads file {@code f} and applies {@code action} to every (index, payload). */
  private static void forEachSample(SampleSource source, Map<String, String> hadoop, int f, SampleAction action) {
    String uri = source.files().get(f);
    try (CloseableIterator<byte[]> it = DataFormats.reader(source.data()).read(uri, hadoopConf(hadoop))) {
      long i = 0;
      while (it.hasNext()) {
        action.accept(i++, it.next());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("data file '" + uri + "': " + e.getMessage(), e);
    }
  }

  private interface SampleAction {
    void accept(long index, byte[] payload);
  }

  private static Iterator<SampleKey> keys(SampleSource source, Map<String, String> hadoop, int f) {
    List<SampleKey> out = new ArrayList<>();
    forEachSample(source, hadoop, f, (i, p) -> out.add(SampleKey.of(source.seed(), f, i, p)));
    return out.iterator();
  }

  /** Number of samples in file {@code f} and the combined hash of their contents. */
  private static long[] count(SampleSource source, Map<String, String> hadoop, int f) {
    long[] n = {0, 0};
    forEachSample(source, hadoop, f, (i, p) -> {
      n[0]++;
      n[1] = combine(n[1], SampleKey.hash(source.seed(), p));
    });
    return n;
  }

  private static Iterator<Tuple2<Long, byte[]>> place(SampleSource source, Map<String, String> hadoop, int f,
      Map<SampleKey, Long> chosen, long[] offsets) {
    List<Tuple2<Long, byte[]>> out = new ArrayList<>();
    forEachSample(source, hadoop, f, (i, p) -> {
      Long global = chosen == null ? Long.valueOf(offsets[f] + i) : chosen.get(SampleKey.of(source.seed(), f, i, p));
      if (global != null) {
        out.add(new Tuple2<>(global, p));
      }
    });
    return out.iterator();
  }
}
