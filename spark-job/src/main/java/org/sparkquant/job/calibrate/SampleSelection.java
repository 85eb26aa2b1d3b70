package org.sparkquant.job.calibrate;

import java.io.IOException;
import java.io.Serializable;
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
import org.sparkquant.io.data.CloseableIterator;
import org.sparkquant.io.data.DataConfig;
import scala.Tuple2;

/**
 * The samples a data job runs on, numbered in one global order. Executors read the data files (one task per file);
 * with a sample limit they return only the samples' keys, so that the driver picks the samples with the smallest
 * seeded hashes ({@link SampleKey}) and numbers them in hash order; without one, samples are numbered in file order.
 * Either way the choice and the numbering depend only on the data and the seed, never on the partitioning.
 */
public final class SampleSelection {
  private SampleSelection() {}

  /**
   * Which samples to choose.
   *
   * @param data how samples are read
   * @param files data files, sorted
   * @param maxSamples samples to use (chosen by seeded hash), or 0 for all
   * @param seed the seed of the choice
   */
  public record Spec(DataConfig data, List<String> files, long maxSamples, long seed) implements Serializable {}

  /**
   * The chosen samples.
   *
   * @param samples (global index, payload) of every chosen sample, read when an action needs them
   * @param count number of samples
   * @param dataHash a hash of the samples' contents in their global order (hex)
   * @param broadcasts what the readers use (the Hadoop settings, the chosen keys), destroyed by {@link #close()}
   */
  public record Selected(JavaPairRDD<Long, byte[]> samples, long count, String dataHash,
      List<Broadcast<?>> broadcasts) implements AutoCloseable {
    @Override
    public void close() {
      broadcasts.forEach(Broadcast::destroy);
    }
  }

  /**
   * Chooses the samples of {@code spec}; {@code job} names the job in Spark's UI.
   *
   * @throws IllegalArgumentException when the files hold no samples
   */
  public static Selected select(JavaSparkContext sc, Spec spec, String job) {
    Broadcast<Map<String, String>> hadoop = sc.broadcast(hadoopEntries(sc.hadoopConfiguration()));
    int files = spec.files().size();
    List<Integer> fileIndexes = new ArrayList<>();
    for (int i = 0; i < files; i++) {
      fileIndexes.add(i);
    }
    JavaRDD<Integer> fileRdd = sc.parallelize(fileIndexes, files);
    Map<SampleKey, Long> chosen;
    long[] offsets;
    long samples;
    long dataHash = 0;
    if (spec.maxSamples() > 0) {
      sc.setJobDescription(job + ": hash samples of " + files + " file(s) to choose " + spec.maxSamples());
      List<SampleKey> keys = fileRdd.flatMap(f -> keys(spec, hadoop.value(), f)).takeOrdered((int) spec.maxSamples());
      chosen = new HashMap<>();
      for (SampleKey k : keys) {
        chosen.put(k, (long) chosen.size());
        dataHash = combine(dataHash, k.hash());
      }
      offsets = null;
      samples = keys.size();
    } else {
      sc.setJobDescription(job + ": count samples in " + files + " file(s)");
      List<Tuple2<Integer, long[]>> counts = fileRdd.mapToPair(f -> new Tuple2<>(f, count(spec, hadoop.value(), f)))
          .collect();
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
      samples = offsets[files];
    }
    if (samples == 0) {
      hadoop.destroy();
      String hint = spec.data().format().isText() ? " (blank lines are not samples)" : "";
      throw new IllegalArgumentException((files == 1 ? "data file '" + spec.files().get(0) + "' has no samples"
          : "the " + files + " data files ('" + spec.files().get(0) + "', ...) have no samples") + hint
          + "; expected at least one");
    }
    Broadcast<Map<SampleKey, Long>> chosenB = sc.broadcast(chosen);
    long[] offsetsF = offsets;
    JavaPairRDD<Long, byte[]> placed =
        fileRdd.flatMapToPair(f -> place(spec, hadoop.value(), f, chosenB.value(), offsetsF));
    return new Selected(placed, samples, String.format("%016x", dataHash), List.of(hadoop, chosenB));
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
  private static void forEachSample(Spec spec, Map<String, String> hadoop, int f, SampleAction action) {
    String uri = spec.files().get(f);
    try (CloseableIterator<byte[]> it = spec.data().reader().read(uri, hadoopConf(hadoop))) {
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

  private static Iterator<SampleKey> keys(Spec spec, Map<String, String> hadoop, int f) {
    List<SampleKey> out = new ArrayList<>();
    forEachSample(spec, hadoop, f, (i, p) -> out.add(SampleKey.of(spec.seed(), f, i, p)));
    return out.iterator();
  }

  /** Number of samples in file {@code f} and the combined hash of their contents. */
  private static long[] count(Spec spec, Map<String, String> hadoop, int f) {
    long[] n = {0, 0};
    forEachSample(spec, hadoop, f, (i, p) -> {
      n[0]++;
      n[1] = combine(n[1], SampleKey.hash(spec.seed(), p));
    });
    return n;
  }

  private static Iterator<Tuple2<Long, byte[]>> place(Spec spec, Map<String, String> hadoop, int f,
      Map<SampleKey, Long> chosen, long[] offsets) {
    List<Tuple2<Long, byte[]>> out = new ArrayList<>();
    forEachSample(spec, hadoop, f, (i, p) -> {
      Long global = chosen == null ? Long.valueOf(offsets[f] + i) : chosen.get(SampleKey.of(spec.seed(), f, i, p));
      if (global != null) {
        out.add(new Tuple2<>(global, p));
      }
    });
    return out.iterator();
  }
}
