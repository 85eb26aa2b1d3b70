package org.sparkquant.job.gptq;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.gptq.GptqLayers;
import org.sparkquant.core.gptq.GptqOptions;
import org.sparkquant.core.gptq.GptqQuantizer;
import org.sparkquant.core.gptq.HessianAccumulator;
import org.sparkquant.core.gptq.HessianCollector;
import org.sparkquant.core.gptq.HessianTile;
import org.sparkquant.core.gptq.LayerBoundary;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.sum.FixedTreeSum;
import org.sparkquant.io.config.QuantizerConfigFiles;
import org.sparkquant.io.data.BatchEncoder;
import org.sparkquant.io.data.DataFormats;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.job.samples.BatchPlan;
import org.sparkquant.job.samples.PlacedSamples;
import org.sparkquant.job.samples.SampleSource;
import org.sparkquant.job.spark.EngineSelfCheck;
import org.sparkquant.job.spark.EngineThreads;
import org.sparkquant.job.spark.ExecutorModels;
import org.sparkquant.job.spark.FailureInjection;
import scala.Tuple2;

/**
 * Distributed GPTQ. Executors push their batches through the model once, group by group: every batch is kept at the
 * current group's input as a {@link LayerBoundary} (an RDD of stored boundaries, persisted in memory and on disk);
 * each partition returns the group's partial Hessian sums over its contiguous batches ({@link FixedTreeSum} spans, in
 * tiles of at most {@link #TILE_VALUES} values, each tile reduced on its own key), the driver completes the sum,
 * solves the group ({@link GptqQuantizer}) and broadcasts its weights, and the partitions advance their boundaries to
 * the next group's input with those weights installed. Lineage is cut by a checkpoint every
 * {@link #CHECKPOINT_EVERY} groups (in {@code spark.checkpoint.dir} when set, else a local directory on local
 * masters, else a local checkpoint).
 *
 * <p>The sums follow one fixed tree over the batches, and a batch's contents do not depend on the partitioning
 * ({@link BatchPlan}), so the Hessians, and the model, are bitwise the same for any partitioning and master.
 */
public final class GptqJob {
  /** Values per Hessian tile: 4 Mi doubles (32 MiB). */
  public static final int TILE_VALUES = 1 << 22;
  /** Setting: groups between checkpoints of the boundaries. */
  public static final String CHECKPOINT_EVERY = "spark.sparkquant.gptq.checkpointEvery";

  private GptqJob() {}

  /**
   * What to quantize.
   *
   * @param config the quantizer config
   * @param options GPTQ's settings
   * @param samples the calibration samples
   */
  public record Spec(QuantizerConfig config, GptqOptions options, SampleSource samples) implements Serializable {}

  /**
   * The solved model.
   *
   * @param quantizer the driver's GPTQ state, every group solved
   * @param plan the samples, batches and partitions that ran
   * @param dataHash a hash of the samples' contents in their global order (hex)
   */
  public record Result(GptqQuantizer quantizer, BatchPlan plan, String dataHash) {}

  /** Runs the job on the validated model's bytes; one line per solved group goes to {@code out}. */
  public static Result run(JavaSparkContext sc, byte[] model, Spec spec, PrintWriter out) {
    Graph graph = new OnnxModelReader().read(model, "model");
    GptqLayers layers = GptqLayers.of(graph, spec.config());
    GptqQuantizer quantizer = new GptqQuantizer(layers, spec.options());
    int groups = layers.groups().size();
    Broadcast<byte[]> modelBytes = sc.broadcast(model);
    String key = ExecutorModels.key(model, QuantizerConfigFiles.toYaml(spec.config())) + "/gptq";
    List<Broadcast<Map<String, float[]>>> solved = new ArrayList<>();
    int checkpointEvery = sc.getConf().getInt(CHECKPOINT_EVERY, 4);
    boolean reliable = checkpointDir(sc);
    List<JavaPairRDD<Long, byte[]>> persisted = new ArrayList<>();
    try (PlacedSamples placed = PlacedSamples.place(sc, spec.samples(), "gptq", (plan, seen) -> { })) {
      BatchPlan plan = placed.plan();
      if (groups == 0) {
        return new Result(quantizer, plan, placed.dataHash());
      }
      Executors ex = new Executors(spec, key, modelBytes);
      JavaPairRDD<Long, byte[]> states = placed.samples()
          .mapPartitionsWithIndex((p, it) -> ex.start(plan, p, it), true)
          .mapToPair(t -> t);
      states.persist(StorageLevel.MEMORY_AND_DISK_SER());
      persisted.add(states);
      for (int g = 0; g < groups; g++) {
        GptqLayers.Group group = layers.groups().get(g);
        sc.setJobDescription("gptq: group " + (g + 1) + "/" + groups + " ('" + group.input() + "', "
            + group.layers().size() + " layer(s)): Hessian over " + plan.batches() + " batches");
        long t0 = System.nanoTime();
        HessianAccumulator h = hessian(states, plan, group.features(), ex, solved);
        double collect = (System.nanoTime() - t0) / 1e9;
        if (persisted.size() > 1) {
          persisted.remove(0).unpersist(false);
        }
        List<GptqQuantizer.LayerResult> results = quantizer.solve(g, h);
        out.printf("gptq: group %d/%d %s (%d layer%s): Hessian of %,d rows in %.1f s, solved in %.1f s%n", g + 1,
            groups, group.input(), results.size(), results.size() == 1 ? "" : "s", h.rows(), collect,
            results.stream().mapToDouble(GptqQuantizer.LayerResult::seconds).sum());
        out.flush();
        if (quantizer.done()) {
          break;
        }
        Map<String, float[]> weights = new HashMap<>();
        for (GptqLayers.Layer l : group.layers()) {
          weights.put(l.weight(), quantizer.solvedWeights().get(l.weight()));
        }
        solved.add(sc.broadcast(weights));
        List<Broadcast<Map<String, float[]>>> installed = List.copyOf(solved);
        states = states.mapPartitions(it -> ex.advance(installed, it), true).mapToPair(t -> t);
        states.persist(StorageLevel.MEMORY_AND_DISK_SER());
        persisted.add(states);
        if ((g + 1) % checkpointEvery == 0) {
          if (reliable) {
            states.checkpoint();
          } else {
            states.rdd().localCheckpoint();
          }
        }
      }
      return new Result(quantizer, plan, placed.dataHash());
    } finally {
      persisted.forEach(r -> r.unpersist(false));
      solved.forEach(Broadcast::destroy);
      modelBytes.destroy();
    }
  }

  /** Uses {@code spark.checkpoint.dir}, or a temporary local directory on local masters; false when neither. */
  private static boolean checkpointDir(JavaSparkContext sc) {
    if (sc.getCheckpointDir().isPresent()) {
      return true;
    }
    if (sc.master().startsWith("local")) {
      try {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("sparkquant-gptq-checkpoints");
        dir.toFile().deleteOnExit();
        sc.setCheckpointDir(dir.toUri().toString());
        return true;
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot create a checkpoint directory: " + e.getMessage(), e);
      }
    }
    return false;
  }

  /** The group's Hessian: partial sums per partition, tiles reduced by key, completed on the driver. */
  private static HessianAccumulator hessian(JavaPairRDD<Long, byte[]> states, BatchPlan plan, int features,
      Executors ex, List<Broadcast<Map<String, float[]>>> solved) {
    int size = HessianAccumulator.triangleSize(features);
    int tiles = (size + TILE_VALUES - 1) / TILE_VALUES;
    int batches = Math.toIntExact(plan.batches());
    List<Broadcast<Map<String, float[]>>> installed = List.copyOf(solved);
    List<Tuple2<Integer, HessianTile>> summed = states
        .mapPartitionsWithIndex((p, it) -> ex.partials(installed, plan, p, it, size), true)
        .mapToPair(t -> new Tuple2<>(t.tile(), t))
        .groupByKey(tiles)
        .mapValues(parts -> {
          Map<FixedTreeSum.Span, HessianTile> bySpan = new HashMap<>();
          parts.forEach(t -> bySpan.put(new FixedTreeSum.Span(t.lo(), t.hi()), t));
          return FixedTreeSum.total(batches, bySpan, HessianTile::add);
        })
        .collect();
    double[] upper = new double[size];
    long rows = -1;
    for (Tuple2<Integer, HessianTile> t : summed) {
      System.arraycopy(t._2().values(), 0, upper, t._1() * TILE_VALUES, t._2().values().length);
      rows = t._2().rows();
    }
    return HessianAccumulator.of(features, rows, upper);
  }

  /** The executor side; serializable, holds only the spec, the model key and the model's broadcast. */
  private record Executors(Spec spec, String key, Broadcast<byte[]> model) implements Serializable {
    ExecutorModels.Lease<HessianCollector> collector(List<Broadcast<Map<String, float[]>>> solved) {
      EngineThreads.fixTo(SparkEnv.get().conf().getInt("spark.task.cpus", 1));
      ExecutorModels.Lease<HessianCollector> lease = ExecutorModels.lease(key, () -> {
        Graph graph = new OnnxModelReader().read(model.value(), "broadcast");
        EngineSelfCheck.onExecutor(key, graph, spec.samples().data());
        return new HessianCollector(GptqLayers.of(graph, spec.config()));
      });
      Map<String, float[]> weights = new LinkedHashMap<>();
      solved.forEach(b -> weights.putAll(b.value()));
      lease.model().setWeights(weights);
      return lease;
    }

    /** Encodes the partition's batches and runs each to the first group's input. */
    Iterator<Tuple2<Long, byte[]>> start(BatchPlan plan, int partition, Iterator<Tuple2<Long, byte[]>> samples) {
      FailureInjection.failFirstAttempt(partition);
      List<Tuple2<Long, byte[]>> out = new ArrayList<>();
      SampleSource source = spec.samples();
      try (ExecutorModels.Lease<HessianCollector> lease = collector(List.of());
          BatchEncoder encoder = DataFormats.newEncoder(source.data(), source.tokenizer())) {
        PlacedSamples.forEachBatch(plan, samples, (b, batch) -> {
          try (NDManager nd = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE)) {
            PlacedSamples.Inputs in = PlacedSamples.encode(encoder, batch, nd);
            try (LayerBoundary s = lease.model().start(in.inputs(), in.mask())) {
              out.add(new Tuple2<>(b, s.toBytes()));
            }
          }
        });
      }
      return out.iterator();
    }

    /** The partition's partial sums (its spans of the batch tree), as tiles. */
    Iterator<HessianTile> partials(List<Broadcast<Map<String, float[]>>> solved, BatchPlan plan, int partition,
        Iterator<Tuple2<Long, byte[]>> states, int size) {
      long from = plan.firstBatch(partition);
      long to = from + plan.batchesIn(partition);
      int batches = Math.toIntExact(plan.batches());
      List<HessianTile> out = new ArrayList<>();
      try (ExecutorModels.Lease<HessianCollector> lease = collector(solved)) {
        Map<FixedTreeSum.Span, HessianAccumulator> parts = FixedTreeSum.partial(batches, (int) from, (int) to, i -> {
          Tuple2<Long, byte[]> s = states.next();
          if (s._1() != i) {
            throw new IllegalStateException("partition " + partition + " expected batch " + i + ", found " + s._1());
          }
          try (LayerBoundary b = LayerBoundary.fromBytes(s._2())) {
            return lease.model().accumulate(b);
          }
        }, GptqQuantizer::add);
        parts.forEach((span, h) -> {
          double[] upper = h.upperTriangle();
          for (int t = 0, at = 0; at < size; t++, at += TILE_VALUES) {
            out.add(new HessianTile(span.lo(), span.hi(), t, h.rows(),
                Arrays.copyOfRange(upper, at, Math.min(size, at + TILE_VALUES))));
          }
        });
      }
      return out.iterator();
    }

    /** Advances the partition's boundaries to the next group's input with the solved weights installed. */
    Iterator<Tuple2<Long, byte[]>> advance(List<Broadcast<Map<String, float[]>>> solved,
        Iterator<Tuple2<Long, byte[]>> states) {
      List<Tuple2<Long, byte[]>> out = new ArrayList<>();
      try (ExecutorModels.Lease<HessianCollector> lease = collector(solved)) {
        while (states.hasNext()) {
          Tuple2<Long, byte[]> s = states.next();
          try (LayerBoundary next = lease.model().advance(LayerBoundary.fromBytes(s._2()))) {
            out.add(new Tuple2<>(s._1(), next.toBytes()));
          }
        }
      }
      return out.iterator();
    }
  }
}
