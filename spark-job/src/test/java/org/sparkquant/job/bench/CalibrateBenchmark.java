package org.sparkquant.job.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.util.LongAccumulator;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.exec.EngineArrays;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.quantizer.ActivationStatistics;
import org.sparkquant.core.quantizer.PreparedModel;
import org.sparkquant.core.quantizer.Quantizer;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.io.data.BatchEncoder;
import org.sparkquant.io.data.DataConfig;
import org.sparkquant.io.data.DataFiles;
import org.sparkquant.io.data.DataFormat;
import org.sparkquant.io.data.DataFormats;
import org.sparkquant.io.data.EncodedBatch;
import org.sparkquant.io.data.ModelFit;
import org.sparkquant.io.data.TokenizerFiles;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.io.onnx.OnnxModelWriter;
import org.sparkquant.io.onnx.OrtReference;
import org.sparkquant.io.onnx.TestModels;
import org.sparkquant.job.calibrate.CalibrationJob;
import org.sparkquant.job.spark.EngineThreads;
import org.sparkquant.job.samples.SampleSource;
import org.sparkquant.job.spark.SparkContexts;

/**
 * Calibration throughput of MiniLM ({@code w8a8}, min/max observers) on real sentences, in one process:
 *
 * <ol>
 *   <li><b>onnxruntime</b>: FP32 inference with ONNX Runtime, batches of 32 padded to their longest sentence, 2
 *       intra-op threads;
 *   <li><b>in-process</b>: {@link PreparedModel#observe} in calibration mode over the same batches, engine threads 2;
 *   <li><b>spark</b>: {@link CalibrationJob#run} on {@code local[2]} with 2 partitions over the same file (each of
 *       the two tasks runs with engine threads = {@code spark.task.cpus} = 1).
 * </ol>
 *
 * <p>Every path tokenizes with the calibration encoder ({@code DataFormats.newEncoder}) inside its timing; the time
 * tokenization alone takes is printed beside. Fixed costs are left out: model loading and preparation, the Spark
 * context, and one untimed warm-up of each path (which also prepares the executor's cached models). The Spark rate
 * is taken over the calibration stage (from a {@link SparkListener}: submission to completion of the stage that runs
 * the model); the time from the plan being known to the result, and the whole job, are printed too, as is the
 * process CPU time per sample of each path (less sensitive than wall time to other load on the machine, though it
 * counts the engines' spinning worker threads).
 *
 * <p>Arguments: {@code [rounds] [samples]} (default 3 and 2048), or {@code --memory [samples] [partitions]}
 * (default 100000 and 20): one Spark {@code local[2]} calibration, printing heap, heap after a full GC, process RSS
 * and the C heap in use every few seconds, and the growth from the first sample after the first task ended to the
 * end. {@code --profile [rounds] [samples]} splits in-process calibration into the FP32 forward pass on our executor,
 * observation without a token mask and observation with it.
 */
public final class CalibrateBenchmark {
  private static final int BATCH = 32;
  private static final int THREADS = 2;
  private static final String MASTER = "local[2]";
  private static final Path SENTENCES = Path.of("..", "data", "sentences", "calibration.txt");
  private static final long MEMORY_PERIOD_MS = 5000;

  private CalibrateBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--profile")) {
      profile(args.length > 1 ? Integer.parseInt(args[1]) : 3, args.length > 2 ? Integer.parseInt(args[2]) : 256);
    } else if (args.length > 0 && args[0].equals("--memory")) {
      long samples = args.length > 1 ? Long.parseLong(args[1]) : 100_000;
      int partitions = args.length > 2 ? Integer.parseInt(args[2]) : 20;
      memory(samples, partitions);
    } else {
      int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
      int samples = args.length > 1 ? Integer.parseInt(args[1]) : 2048;
      throughput(rounds, samples);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Throughput

  private static void throughput(int rounds, int samples) throws Exception {
    Path dir = Files.createTempDirectory("sparkquant-bench-calibrate");
    try {
      Path data = writeSentences(dir.resolve("data"), samples, 7);
      Path warmData = writeSentences(dir.resolve("warm"), 4 * BATCH, 8);
      List<List<byte[]>> batches = batches(Files.readAllLines(data.resolve("sentences.txt")));
      Path modelPath = TestModels.path(TestModels.MINILM);
      byte[] tokenizer = TokenizerFiles.read(TestModels.path(TestModels.MINILM_TOKENIZER));
      Graph graph = new OnnxModelReader().read(modelPath);
      DataConfig dataConfig = ModelFit.bind(DataConfig.defaults(DataFormat.TEXT), graph.inputs());
      ModelFit.check(dataConfig, graph.inputs(), tokenizer);
      QuantizerConfig config = QuantizerConfig.preset("w8a8");
      byte[] modelBytes = new OnnxModelWriter().toBytes(graph);
      System.out.printf("MiniLM w8a8, %d sentences (%s repeated and shuffled) in %d batches of %d; %d round(s)%n",
          samples, SENTENCES.getFileName(), batches.size(), BATCH, rounds);

      EngineThreads.fixTo(THREADS);
      List<double[]> perRound = new ArrayList<>();
      ActivationStatistics inProcessStats;
      List<ActivationStatistics> sparkPartials;
      try (OrtReference ort = new OrtReference(modelPath, THREADS);
          BatchEncoder encoder = DataFormats.newEncoder(dataConfig, tokenizer);
          PreparedModel prepared = new Quantizer(graph, config).prepare();
          JavaSparkContext sc = SparkContexts.start(MASTER, "sparkquant calibrate benchmark")) {
        StageTimes stages = new StageTimes();
        sc.sc().addSparkListener(stages);
        CalibrationJob.Spec spec = spec(sc, config, dataConfig, tokenizer, data, THREADS);
        CalibrationJob.Spec warmSpec = spec(sc, config, dataConfig, tokenizer, warmData, THREADS);

        // Warm-up, untimed: JIT, both engines, the position axes of the prepared model, the executor's models.
        runOrt(ort, encoder, batches.subList(0, Math.min(4, batches.size())));
        calibrate(prepared, encoder, batches.subList(0, Math.min(4, batches.size())));
        sparkRun(sc, stages, modelBytes, warmSpec);
        EngineThreads.fixTo(THREADS);

        SparkTimes spark = null;
        for (int r = 0; r < rounds; r++) {
          long t0 = System.nanoTime();
          encodeOnly(encoder, batches);
          long t1 = System.nanoTime();
          long c1 = cpuNanos();
          runOrt(ort, encoder, batches);
          long t2 = System.nanoTime();
          long c2 = cpuNanos();
          EngineThreads.fixTo(THREADS);
          calibrate(prepared, encoder, batches);
          long t3 = System.nanoTime();
          long c3 = cpuNanos();
          spark = sparkRun(sc, stages, modelBytes, spec);
          long c4 = cpuNanos();
          EngineThreads.fixTo(THREADS);
          double[] x = {
            samples / sec(t1 - t0), samples / sec(t2 - t1), samples / sec(t3 - t2), samples / spark.stageSeconds(),
            samples / spark.plannedSeconds(), samples / spark.totalSeconds()
          };
          perRound.add(x);
          System.out.printf("round %d: tokenize %.0f/s | onnxruntime %.1f/s (%.2f s) | in-process calibration %.1f/s"
                  + " (%.2f s) | spark %s stage %.1f/s (%.2f s), plan-to-result %.1f/s, job %.1f/s (%.2f s)"
                  + " | calibrate/ort %.3f, spark/in-process %.3f%n",
              r + 1, x[0], x[1], sec(t2 - t1), x[2], sec(t3 - t2), MASTER, x[3], spark.stageSeconds(), x[4], x[5],
              spark.totalSeconds(), x[2] / x[1], x[3] / x[2]);
          System.out.printf("         process CPU per sample: onnxruntime %.1f ms, in-process calibration %.1f ms,"
                  + " spark job %.1f ms%n", (c2 - c1) / 1e6 / samples, (c3 - c2) / 1e6 / samples,
              (c4 - c3) / 1e6 / samples);
        }
        inProcessStats = prepared.statistics();
        sparkPartials = spark == null ? List.of() : spark.result().partials();
        prepared.resetStatistics();
        sparkPartials.forEach(prepared::addStatistics);
        ActivationStatistics merged = prepared.statistics();
        System.out.printf("same samples observed: in-process %d, spark %d; statistics bitwise equal: %s%n",
            inProcessStats.samples(), merged.samples(), inProcessStats.groups().equals(merged.groups()));
      }
      String[] names = {"tokenize", "onnxruntime", "calibrate_inprocess", "calibrate_spark_stage",
          "calibrate_spark_plan_to_result", "calibrate_spark_job"};
      for (int i = 0; i < names.length; i++) {
        int k = i;
        double[] v = perRound.stream().mapToDouble(x -> x[k]).sorted().toArray();
        System.out.printf("%s_samples_per_s: best %.1f, median %.1f%n", names[i], v[v.length - 1], median(v));
      }
      double[] calVsOrt = perRound.stream().mapToDouble(x -> x[2] / x[1]).sorted().toArray();
      double[] sparkVsIn = perRound.stream().mapToDouble(x -> x[3] / x[2]).sorted().toArray();
      double[] best = new double[6];
      for (double[] x : perRound) {
        for (int i = 0; i < best.length; i++) {
          best[i] = Math.max(best[i], x[i]);
        }
      }
      System.out.printf("best_rounds: calibrate_vs_ort=%.3f spark_vs_inprocess=%.3f%n", best[2] / best[1],
          best[3] / best[2]);
      System.out.printf("calibrate_vs_ort=%.3f (median of rounds; target >= 0.7)%n", median(calVsOrt));
      System.out.printf("spark_vs_inprocess=%.3f (median of rounds; target >= 0.8)%n", median(sparkVsIn));
    } finally {
      deleteTree(dir);
    }
  }

  /**
   * Where in-process calibration spends its time beyond inference: the same batches through the FP32 graph on our
   * executor, through {@code observe} without a token mask (observers see padding too) and with it.
   */
  private static void profile(int rounds, int samples) throws Exception {
    Path dir = Files.createTempDirectory("sparkquant-bench-calibrate");
    try {
      Path data = writeSentences(dir.resolve("data"), samples, 7);
      List<List<byte[]>> batches = batches(Files.readAllLines(data.resolve("sentences.txt")));
      Path modelPath = TestModels.path(TestModels.MINILM);
      byte[] tokenizer = TokenizerFiles.read(TestModels.path(TestModels.MINILM_TOKENIZER));
      Graph graph = new OnnxModelReader().read(modelPath);
      DataConfig dataConfig = ModelFit.bind(DataConfig.defaults(DataFormat.TEXT), graph.inputs());
      EngineThreads.fixTo(THREADS);
      try (BatchEncoder encoder = DataFormats.newEncoder(dataConfig, tokenizer);
          PreparedModel prepared = new Quantizer(graph, QuantizerConfig.preset("w8a8")).prepare();
          DjlExecutor fp32 = new DjlExecutor(graph)) {
        List<EncodedBatch> encoded = batches.stream().map(encoder::encode).toList();
        System.out.printf("%d activation quantizers; %d batches of %d%n", prepared.activationQuantizers().size(),
            encoded.size(), BATCH);
        for (int r = 0; r <= rounds; r++) {
          for (int threads : new int[] {THREADS, 1}) {
            EngineThreads.fixTo(threads);
            long t0 = System.nanoTime();
            for (EncodedBatch b : encoded) {
              try (NDManager nd = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE)) {
                fp32.run(nd, arrays(nd, b)).close();
              }
            }
            long t1 = System.nanoTime();
            observeAll(prepared, encoded, false);
            long t2 = System.nanoTime();
            observeAll(prepared, encoded, true);
            long t3 = System.nanoTime();
            System.out.printf("%s, %d engine thread(s): fp32 forward %.1f/s | observe, no mask %.1f/s | observe, token"
                    + " mask %.1f/s%n", r == 0 ? "warm-up" : "round " + r, threads, samples / sec(t1 - t0),
                samples / sec(t2 - t1), samples / sec(t3 - t2));
          }
        }
        EngineThreads.fixTo(THREADS);
        System.out.printf("statistics digest (token mask): %08x%n", prepared.statistics().groups().hashCode());
      }
    } finally {
      deleteTree(dir);
    }
  }

  private static Map<String, NDArray> arrays(NDManager nd, EncodedBatch b) {
    Map<String, NDArray> inputs = new HashMap<>();
    for (Map.Entry<String, Tensor> e : b.inputs().entrySet()) {
      inputs.put(e.getKey(), EngineArrays.toArray(nd, e.getValue()));
    }
    return inputs;
  }

  private static void observeAll(PreparedModel m, List<EncodedBatch> encoded, boolean masked) {
    m.resetStatistics();
    try (PreparedModel.Mode c = m.calibrationMode()) {
      for (EncodedBatch b : encoded) {
        try (NDManager nd = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE)) {
          m.observe(arrays(nd, b), masked ? EngineArrays.toArray(nd, b.observeMask()) : null).close();
        }
      }
    }
  }

  private static CalibrationJob.Spec spec(JavaSparkContext sc, QuantizerConfig config, DataConfig dataConfig,
      byte[] tokenizer, Path dataDir, int partitions) {
    List<String> files = DataFiles.list(dataDir.toString(), DataFormat.TEXT, sc.hadoopConfiguration());
    return new CalibrationJob.Spec(config,
        new SampleSource(dataConfig, tokenizer, files, BATCH, 0, 0, partitions));
  }

  private static void encodeOnly(BatchEncoder encoder, List<List<byte[]>> batches) {
    for (List<byte[]> b : batches) {
      encoder.encode(b);
    }
  }

  static void runOrt(OrtReference ort, BatchEncoder encoder, List<List<byte[]>> batches) throws Exception {
    for (List<byte[]> b : batches) {
      EncodedBatch enc = encoder.encode(b);
      Map<String, OrtReference.Input> feed = new HashMap<>();
      enc.inputs().forEach((name, t) -> feed.put(name, new OrtReference.Input(t.longs(), t.shape())));
      ort.run(feed, List.of("output_0"));
    }
  }

  /** Calibration as a partition of {@link CalibrationJob} runs it (one engine-array manager per batch). */
  private static void calibrate(PreparedModel m, BatchEncoder encoder, List<List<byte[]>> batches) {
    m.resetStatistics();
    try (PreparedModel.Mode c = m.calibrationMode()) {
      for (List<byte[]> b : batches) {
        EncodedBatch enc = encoder.encode(b);
        try (NDManager nd = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE)) {
          Map<String, NDArray> inputs = new HashMap<>();
          for (Map.Entry<String, Tensor> e : enc.inputs().entrySet()) {
            inputs.put(e.getKey(), EngineArrays.toArray(nd, e.getValue()));
          }
          NDArray mask = enc.observeMask() == null ? null : EngineArrays.toArray(nd, enc.observeMask());
          m.observe(inputs, mask).close();
        }
      }
    }
  }

  /** Times of one Spark calibration. */
  private record SparkTimes(CalibrationJob.Result result, double stageSeconds, double plannedSeconds,
      double totalSeconds) {}

  private static SparkTimes sparkRun(JavaSparkContext sc, StageTimes stages, byte[] model, CalibrationJob.Spec spec)
      throws Exception {
    long[] planned = new long[1];
    int before = stages.completed.size();
    long t0 = System.nanoTime();
    CalibrationJob.Result result = CalibrationJob.run(sc, model, spec, (plan, done) -> planned[0] = System.nanoTime());
    long t1 = System.nanoTime();
    sc.sc().listenerBus().waitUntilEmpty(10_000);
    List<StageInfo> newStages = stages.completed.subList(before, stages.completed.size());
    StageInfo last = newStages.get(newStages.size() - 1);
    double stage = ((Long) last.completionTime().get() - (Long) last.submissionTime().get()) / 1e3;
    return new SparkTimes(result, stage, sec(t1 - planned[0]), sec(t1 - t0));
  }

  /** Stages as they complete (the calibration stage is the last stage of a calibration job). */
  private static final class StageTimes extends SparkListener {
    final List<StageInfo> completed = new CopyOnWriteArrayList<>();

    @Override
    public void onStageCompleted(SparkListenerStageCompleted e) {
      completed.add(e.stageInfo());
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Memory

  private static void memory(long samples, int partitions) throws Exception {
    Path dir = Files.createTempDirectory("sparkquant-bench-calibrate");
    try {
      Path data = writeSentences(dir.resolve("data"), samples, 7);
      Path modelPath = TestModels.path(TestModels.MINILM);
      byte[] tokenizer = TokenizerFiles.read(TestModels.path(TestModels.MINILM_TOKENIZER));
      Graph graph = new OnnxModelReader().read(modelPath);
      DataConfig dataConfig = ModelFit.bind(DataConfig.defaults(DataFormat.TEXT), graph.inputs());
      QuantizerConfig config = QuantizerConfig.preset("w8a8");
      byte[] modelBytes = new OnnxModelWriter().toBytes(graph);
      System.out.printf("MiniLM w8a8 calibration on %s, %d partitions, %,d sentences; heap -Xmx %d MB; sampling"
              + " every %d s%n", MASTER, partitions, samples, Runtime.getRuntime().maxMemory() >> 20,
          MEMORY_PERIOD_MS / 1000);
      System.out.println("(local master: the executor is this JVM. heap_gc = heap used after System.gc();"
          + " c_heap = glibc mallinfo2 uordblks + hblkhd, where libtorch's tensors live; direct = NIO direct"
          + " buffers)");
      try (JavaSparkContext sc = SparkContexts.start(MASTER, "sparkquant calibrate memory benchmark")) {
        CalibrationJob.Spec spec = spec(sc, config, dataConfig, tokenizer, data, partitions);
        MemorySampler sampler = new MemorySampler();
        sampler.start();
        long t0 = System.nanoTime();
        CalibrationJob.Result result = CalibrationJob.run(sc, modelBytes, spec, (plan, done) -> sampler.done = done);
        double seconds = sec(System.nanoTime() - t0);
        sampler.stopAndSample();
        System.out.printf("calibrated %,d samples in %.1f s (%.1f samples/s including fixed costs), %d partials%n",
            result.plan().samples(), seconds, result.plan().samples() / seconds, result.partials().size());
        sampler.summary();
      }
    } finally {
      deleteTree(dir);
    }
  }

  /** Samples the process's memory every few seconds on its own thread. */
  private static final class MemorySampler extends Thread {
    volatile LongAccumulator done;
    private final long start = System.nanoTime();
    private final List<long[]> rows = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean stop;

    MemorySampler() {
      super("memory-sampler");
      setDaemon(true);
      System.out.printf("%7s %9s %8s %8s %8s %8s %8s%n", "t_s", "samples", "heap_MB", "heap_gc", "rss_MB", "c_heap",
          "direct");
    }

    @Override
    public void run() {
      while (!stop) {
        sample();
        try {
          Thread.sleep(MEMORY_PERIOD_MS);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    void stopAndSample() throws InterruptedException {
      stop = true;
      interrupt();
      join();
      sample();
    }

    private void sample() {
      long t = (System.nanoTime() - start) / 1_000_000;
      LongAccumulator d = done;
      long n = d == null ? 0 : d.value();
      Runtime rt = Runtime.getRuntime();
      long heap = rt.totalMemory() - rt.freeMemory();
      System.gc();
      long heapGc = rt.totalMemory() - rt.freeMemory();
      long rss = rssBytes();
      long cHeap = CHeap.inUse();
      long direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
          .filter(b -> b.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
      long[] row = {t, n, heap, heapGc, rss, cHeap, direct};
      rows.add(row);
      System.out.printf("%7.0f %9d %8d %8d %8d %8d %8d%n", t / 1e3, n, heap >> 20, heapGc >> 20, rss >> 20,
          cHeap < 0 ? -1 : cHeap >> 20, direct >> 20);
    }

    void summary() {
      List<long[]> steady = new ArrayList<>();
      synchronized (rows) {
        for (long[] r : rows) {
          if (r[1] > 0) {
            steady.add(r);
          }
        }
      }
      if (steady.size() < 2) {
        System.out.println("too few samples after the first task ended to measure growth");
        return;
      }
      long[] first = steady.get(0);
      long[] last = steady.get(steady.size() - 1);
      String[] names = {"heap_gc", "rss", "c_heap", "direct"};
      int[] cols = {3, 4, 5, 6};
      System.out.printf("steady span: t=%.0f s (%,d samples) to t=%.0f s (%,d samples)%n", first[0] / 1e3, first[1],
          last[0] / 1e3, last[1]);
      long[] middle = steady.get(steady.size() / 2);
      System.out.printf("second half: from t=%.0f s (%,d samples)%n", middle[0] / 1e3, middle[1]);
      for (int i = 0; i < names.length; i++) {
        int c = cols[i];
        long max = steady.stream().mapToLong(r -> r[c]).max().orElse(0);
        long min = steady.stream().mapToLong(r -> r[c]).min().orElse(0);
        System.out.printf("%s_growth_mb=%.1f (first %.1f, last %.1f, min %.1f, max %.1f MB; second half %+.1f MB)%n",
            names[i], (last[c] - first[c]) / 1048576.0, first[c] / 1048576.0, last[c] / 1048576.0,
            min / 1048576.0, max / 1048576.0, (last[c] - middle[c]) / 1048576.0);
      }
    }
  }

  /** Resident set size from /proc/self/status, or -1. */
  private static long rssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /** Bytes the C heap has handed out (glibc {@code mallinfo2}: in-use chunks plus mmapped chunks), or -1. */
  public static final class CHeap {
    private CHeap() {}

    /** glibc's {@code struct mallinfo2}, all {@code size_t}. */
    @Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost"})
    public static class MallInfo2 extends Structure implements Structure.ByValue {
      public long arena;
      public long ordblks;
      public long smblks;
      public long hblks;
      public long hblkhd;
      public long usmblks;
      public long fsmblks;
      public long uordblks;
      public long fordblks;
      public long keepcost;
    }

    private interface C extends Library {
      MallInfo2 mallinfo2();
    }

    private static final C LIBC = load();

    private static C load() {
      try {
        return Native.load("c", C.class);
      } catch (UnsatisfiedLinkError | RuntimeException e) {
        return null;
      }
    }

    static long inUse() {
      if (LIBC == null) {
        return -1;
      }
      try {
        MallInfo2 m = LIBC.mallinfo2();
        return m.uordblks + m.hblkhd;
      } catch (UnsatisfiedLinkError | RuntimeException e) {
        return -1;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Data

  /** {@code samples} lines of the calibration sentences, reshuffled on every pass, in {@code dir/sentences.txt}. */
  private static Path writeSentences(Path dir, long samples, long seed) throws IOException {
    List<String> base = Files.readAllLines(SENTENCES, StandardCharsets.UTF_8).stream()
        .filter(s -> !s.isBlank()).toList();
    Random random = new Random(seed);
    Files.createDirectories(dir);
    try (var w = Files.newBufferedWriter(dir.resolve("sentences.txt"), StandardCharsets.UTF_8)) {
      List<String> pass = new ArrayList<>(base);
      for (long i = 0; i < samples; i++) {
        int k = (int) (i % base.size());
        if (k == 0) {
          Collections.shuffle(pass, random);
        }
        w.write(pass.get(k));
        w.write('\n');
      }
    }
    return dir;
  }

  private static List<List<byte[]>> batches(List<String> lines) {
    List<List<byte[]>> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i += BATCH) {
      out.add(lines.subList(i, Math.min(lines.size(), i + BATCH)).stream()
          .map(s -> s.getBytes(StandardCharsets.UTF_8)).toList());
    }
    return out;
  }

  /** CPU time of the whole process (all threads), or 0 where the JVM does not tell. */
  static long cpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime() : 0;
  }

  private static double sec(long nanos) {
    return nanos / 1e9;
  }

  private static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
