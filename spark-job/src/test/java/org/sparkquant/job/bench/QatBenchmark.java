package org.sparkquant.job.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.qat.QatBatch;
import org.sparkquant.core.qat.QatLoss;
import org.sparkquant.core.qat.QatModel;
import org.sparkquant.core.qat.QatOptions;
import org.sparkquant.core.qat.QatParameters;
import org.sparkquant.core.qat.QatState;
import org.sparkquant.core.qat.QatTrainer;
import org.sparkquant.core.qat.TeacherCache;
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
import org.sparkquant.job.spark.EngineThreads;
import org.sparkquant.job.qat.Checkpoints;
import org.sparkquant.job.qat.QatJob;
import org.sparkquant.job.spark.SparkContexts;

/**
 * Quantization-aware training throughput of MiniLM ({@code w4g32}, distilled with the cosine loss, AdamW) against
 * ONNX Runtime FP32 inference, on the same sentences of {@code data/sentences/calibration.txt} in the same batches
 * of 32 (padded to their longest sentence), 2 threads, in one process:
 *
 * <ol>
 *   <li><b>onnxruntime</b>: FP32 inference of every batch;
 *   <li><b>qat</b>: one training step per batch in this process ({@link QatTrainer#step}: the FP32 teacher's forward
 *       pass, the fake-quantized forward and backward pass, the optimizer update), tokenization included. The rounds
 *       are epochs over the same sentences: the teacher's outputs are computed in the first and reused after
 *       ({@link TeacherCache}, as the job does); the training rate is taken over all rounds;
 *   <li><b>spark</b> (with {@code --spark}): the {@code qat} job on {@code local[2]} with {@code spark.task.cpus=2}
 *       (one training task of 2 engine threads per step, micro-batches of 32) for 3 epochs over the same sentences,
 *       rate over its steps (without the set-up, validations and checkpoints).
 * </ol>
 *
 * <p>Arguments: {@code [rounds] [steps]} (default 3 rounds of 8 steps) and {@code --spark}. One untimed warm-up step
 * comes first. {@code --profile} instead splits a step into its parts (the teacher computed each time). The
 * process CPU time per sample of both is printed too (less sensitive than wall time to other load on the machine).
 * Prints each round, the best and the median, and ends with {@code qat_vs_ort=} (target ≥ 0.2).
 */
public final class QatBenchmark {
  private static final int BATCH = 32;
  private static final int THREADS = 2;
  private static final Path SENTENCES = Path.of("..", "data", "sentences", "calibration.txt");

  private QatBenchmark() {}

  public static void main(String[] args) throws Exception {
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    boolean spark = rest.remove("--spark");
    boolean profile = rest.remove("--profile");
    int rounds = rest.size() > 0 ? Integer.parseInt(rest.get(0)) : 3;
    int steps = rest.size() > 1 ? Integer.parseInt(rest.get(1)) : 8;
    List<String> lines = Files.readAllLines(SENTENCES, StandardCharsets.UTF_8).stream()
        .filter(s -> !s.isBlank()).toList();
    List<List<byte[]>> batches = new ArrayList<>();
    for (int i = 0; i < (steps + 1) * BATCH; i += BATCH) {
      List<byte[]> b = new ArrayList<>();
      for (int k = i; k < i + BATCH; k++) {
        b.add(lines.get(k % lines.size()).getBytes(StandardCharsets.UTF_8));
      }
      batches.add(b);
    }
    List<List<byte[]>> warm = batches.subList(0, 1);
    List<List<byte[]>> timed = batches.subList(1, batches.size());
    int samples = timed.size() * BATCH;
    Path modelPath = TestModels.path(TestModels.MINILM);
    byte[] tokenizer = TokenizerFiles.read(TestModels.path(TestModels.MINILM_TOKENIZER));
    Graph graph = new OnnxModelReader().read(modelPath);
    DataConfig dataConfig = ModelFit.bind(DataConfig.defaults(DataFormat.TEXT), graph.inputs());
    QuantizerConfig config = QuantizerConfig.preset("w4g32");
    QatOptions options = QatOptions.defaults(QatLoss.COSINE, 1e-4, 1000);
    System.out.printf("MiniLM w4g32 QAT, %d steps of %d sentences per round, %d round(s), %d threads%n",
        timed.size(), BATCH, rounds, THREADS);
    EngineThreads.fixTo(THREADS);
    List<double[]> perRound = new ArrayList<>();
    try (OrtReference ort = new OrtReference(modelPath, THREADS);
        BatchEncoder encoder = DataFormats.newEncoder(dataConfig, tokenizer);
        QatModel model = new QatModel(graph, config, options)) {
      QatTrainer trainer = model.trainer();
      TeacherCache teachers = new TeacherCache(1L << 30);
      QatState state = train(model, trainer, trainer.initialState(), encoder, warm, teachers, 1 << 20);
      if (profile) {
        profile(graph, model, trainer, state, encoder, timed, rounds);
        return;
      }
      CalibrateBenchmark.runOrt(ort, encoder, warm);
      for (int r = 0; r < rounds; r++) {
        long t0 = System.nanoTime();
        long c0 = CalibrateBenchmark.cpuNanos();
        CalibrateBenchmark.runOrt(ort, encoder, timed);
        long t1 = System.nanoTime();
        long c1 = CalibrateBenchmark.cpuNanos();
        state = train(model, trainer, state, encoder, timed, teachers, 0);
        long t2 = System.nanoTime();
        long c2 = CalibrateBenchmark.cpuNanos();
        double ortRate = samples / sec(t1 - t0);
        double qatRate = samples / sec(t2 - t1);
        double sparkRate = spark ? sparkRate(graph, config, options, tokenizer, dataConfig, timed) : Double.NaN;
        EngineThreads.fixTo(THREADS);
        perRound.add(new double[] {ortRate, qatRate, sparkRate, (c1 - c0) / 1e6 / samples,
            (c2 - c1) / 1e6 / samples});
        System.out.printf("round %d: onnxruntime %.1f samples/s | qat in-process %.1f samples/s (%.2f s per step)%s"
                + " | qat/ort %.3f%n", r + 1, ortRate, qatRate, sec(t2 - t1) / timed.size(),
            spark ? String.format(" | qat spark local[2] %.1f samples/s", sparkRate) : "", qatRate / ortRate);
        System.out.printf("         process CPU per sample: onnxruntime %.1f ms, qat %.1f ms (ratio %.3f)%n",
            perRound.get(r)[3], perRound.get(r)[4], perRound.get(r)[3] / perRound.get(r)[4]);
      }
    }
    String[] names = {"onnxruntime", "qat_inprocess", "qat_spark"};
    for (int i = 0; i < (spark ? 3 : 2); i++) {
      int k = i;
      double[] v = perRound.stream().mapToDouble(x -> x[k]).sorted().toArray();
      System.out.printf("%s_samples_per_s: best %.1f, median %.1f%n", names[i], v[v.length - 1], median(v));
    }
    double ort = median(perRound.stream().mapToDouble(x -> x[0]).sorted().toArray());
    double total = 0;
    for (double[] x : perRound) {
      total += samples / x[1];
    }
    double epochs = samples * perRound.size() / total;
    System.out.printf("qat over the %d rounds (epochs over the same sentences: the teacher's outputs computed in the"
        + " first, reused after): %.1f samples/s; first round alone %.1f samples/s (%.3f of onnxruntime)%n",
        perRound.size(), epochs, perRound.get(0)[1], perRound.get(0)[1] / perRound.get(0)[0]);
    double[] cpu = perRound.stream().mapToDouble(x -> x[3] / x[4]).sorted().toArray();
    System.out.printf("cpu_time_ratio=%.3f (median of rounds: onnxruntime CPU per sample / qat CPU per sample)%n",
        median(cpu));
    System.out.printf("qat_vs_ort=%.3f (training over all rounds vs the median onnxruntime round; target >= 0.2)%n",
        epochs / ort);
  }

  /**
   * Where a step's time goes: the FP32 forward pass on our executor, the fake-quantized forward pass without
   * gradients, the gradients of a micro-batch (teacher, forward and backward pass), and the optimizer update.
   */
  private static void profile(Graph graph, QatModel model, QatTrainer trainer, QatState state, BatchEncoder encoder,
      List<List<byte[]>> batches, int rounds) {
    QatParameters p = trainer.parameters(state);
    try (DjlExecutor fp32 = new DjlExecutor(graph)) {
      for (int r = 0; r < rounds; r++) {
        double[] t = new double[5];
        for (List<byte[]> b : batches) {
          EncodedBatch enc = encoder.encode(b);
          try (NDManager nd = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE)) {
            Map<String, NDArray> inputs = enc.arrays(nd);
            QatBatch batch = new QatBatch(inputs, enc.maskArray(nd), null);
            long t0 = System.nanoTime();
            fp32.run(nd, inputs).close();
            long t1 = System.nanoTime();
            model.forward(p, inputs).close();
            long t2 = System.nanoTime();
            var g = model.gradients(p, batch, BATCH);
            long t3 = System.nanoTime();
            trainer.parameters(state);
            long t4 = System.nanoTime();
            trainer.apply(state, g);
            long t5 = System.nanoTime();
            t[0] += sec(t1 - t0);
            t[1] += sec(t2 - t1);
            t[2] += sec(t3 - t2);
            t[3] += sec(t4 - t3);
            t[4] += sec(t5 - t4);
          }
        }
        int n = batches.size();
        System.out.printf("round %d, per step of %d: fp32 forward %.3f s | quantized forward %.3f s | gradients"
                + " (teacher + forward + backward) %.3f s | step parameters %.3f s | optimizer update %.3f s%n",
            r + 1, BATCH, t[0] / n, t[1] / n, t[2] / n, t[3] / n, t[4] / n);
      }
    }
  }

  /**
   * One training step per batch, as a training task runs a micro-batch: the teacher's outputs come from
   * {@code teachers}, each sample's computed once with its batch (its canonical group), as the job computes them.
   *
   * @param first the id of the first batch's first sample
   */
  private static QatState train(QatModel model, QatTrainer trainer, QatState state, BatchEncoder encoder,
      List<List<byte[]>> batches, TeacherCache teachers, int first) {
    for (int j = 0; j < batches.size(); j++) {
      List<byte[]> b = batches.get(j);
      int[] ids = new int[b.size()];
      for (int k = 0; k < ids.length; k++) {
        ids[k] = first + j * BATCH + k;
      }
      try (NDManager nd = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE)) {
        QatBatch batch = encode(encoder, b, nd);
        batch = teachers.withTeacher(model, nd, batch, ids, id -> ids, g -> encode(encoder, b, nd));
        state = trainer.step(model, state, List.of(batch));
      }
    }
    return state;
  }

  private static QatBatch encode(BatchEncoder encoder, List<byte[]> payloads, NDManager nd) {
    EncodedBatch enc = encoder.encode(payloads);
    return new QatBatch(enc.arrays(nd), enc.maskArray(nd), null);
  }

  /** The qat job on local[2], one task of 2 threads per step, over the batches' sentences (rate of its steps). */
  private static double sparkRate(Graph graph, QuantizerConfig config, QatOptions options, byte[] tokenizer,
      DataConfig dataConfig, List<List<byte[]>> batches) throws Exception {
    Path dir = Files.createTempDirectory("sparkquant-bench-qat");
    try {
      Path data = dir.resolve("sentences.txt");
      List<String> lines = new ArrayList<>();
      batches.forEach(b -> b.forEach(s -> lines.add(new String(s, StandardCharsets.UTF_8))));
      Files.write(data, lines);
      try (JavaSparkContext sc = SparkContexts.start("local[2]", "sparkquant qat benchmark",
          Map.of("spark.task.cpus", Integer.toString(THREADS)))) {
        List<String> files = DataFiles.list(data.toString(), DataFormat.TEXT, sc.hadoopConfiguration());
        QatJob.Spec spec = new QatJob.Spec(config, options, dataConfig, tokenizer, files,
            0, 0, BATCH, BATCH, 3, 0, 0, 1, 0);
        Checkpoints checkpoints = new Checkpoints(dir.resolve("checkpoints").toUri().toString(),
            sc.hadoopConfiguration());
        QatJob.Result r = QatJob.run(sc, graph, new OnnxModelWriter().toBytes(graph), "benchmark", spec, checkpoints,
            false, new PrintWriter(System.out, true));
        return r.samplesTrained() / r.seconds();
      }
    } finally {
      try (var files = Files.walk(dir)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  private static double sec(long nanos) {
    return nanos / 1e9;
  }

  private static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
