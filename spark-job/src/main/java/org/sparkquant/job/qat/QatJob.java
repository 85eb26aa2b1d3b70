package org.sparkquant.job.qat;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.qat.Gradients;
import org.sparkquant.core.qat.LrSchedule;
import org.sparkquant.core.qat.QatCodec;
import org.sparkquant.core.qat.QatModel;
import org.sparkquant.core.qat.QatOptions;
import org.sparkquant.core.qat.QatParameters;
import org.sparkquant.core.qat.QatState;
import org.sparkquant.core.qat.QatTrainer;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.sum.FixedTreeSum;
import org.sparkquant.io.config.QuantizerConfigFiles;
import org.sparkquant.io.data.DataConfig;
import org.sparkquant.job.samples.PlacedSamples;
import org.sparkquant.job.samples.SampleSource;
import scala.Tuple2;

/**
 * Distributed quantization-aware training, synchronous data parallelism. The driver chooses the samples (as
 * calibration does), holds out a validation split, and broadcasts both once. Every step is one barrier stage of
 * {@code partitions} tasks, one per executor JVM: each computes the gradients of its contiguous range of the step's
 * micro-batches ({@link TrainingPlan}) under the step's broadcast {@link QatParameters}, summed along the fixed tree
 * of {@link FixedTreeSum}; the driver completes the tree, so the sum has the same bits for any number of tasks,
 * applies one optimizer update ({@link QatTrainer#apply}) and broadcasts the next step's parameters. A step's tasks
 * all read the one broadcast of that step, so a step never mixes parameter versions. The model is validated on the
 * held-out split at the start and after every epoch, and checkpointed ({@link Checkpoints}) every
 * {@code checkpointEvery} steps, after every epoch and at the end.
 */
public final class QatJob {
  /** Test hook: the step after whose checkpoint the driver stops with an error (kill-and-resume tests). */
  public static final String STOP_AFTER_STEP = "spark.sparkquant.test.qatStopAfterStep";

  private QatJob() {}

  /**
   * What to train.
   *
   * @param config the quantizer config
   * @param options training options; their schedule's total steps are set by the job
   * @param data how samples are read and encoded
   * @param tokenizer bytes of tokenizer.json, or null
   * @param files data files, sorted
   * @param maxSamples samples to use (chosen by seeded hash), or 0 for all
   * @param seed seed of the sample choice, the validation split and the epochs' orders
   * @param batchSize samples per step
   * @param microBatchSize samples per gradient computation
   * @param epochs epochs to run (when {@code steps} is 0)
   * @param steps steps to run, or 0 to run {@code epochs}
   * @param validationFraction share of the samples held out for validation
   * @param partitions training tasks per step, or 0 for one per executor JVM
   * @param checkpointEvery steps between checkpoints besides those at epoch ends, or 0
   */
  public record Spec(QuantizerConfig config, QatOptions options, DataConfig data, byte[] tokenizer, List<String> files,
      long maxSamples, long seed, int batchSize, int microBatchSize, int epochs, long steps,
      double validationFraction, int partitions, long checkpointEvery) implements Serializable {
    SampleSource samples() {
      return new SampleSource(data, tokenizer, files, batchSize, maxSamples, seed, 1);
    }

    Spec withOptions(QatOptions o) {
      return new Spec(config, o, data, tokenizer, files, maxSamples, seed, batchSize, microBatchSize, epochs,
          steps, validationFraction, partitions, checkpointEvery);
    }
  }

  /**
   * A finished run.
   *
   * @param state the final state
   * @param trainer the driver's side of training, for the export
   * @param history loss per step, validations
   * @param plan the steps that ran
   * @param dataHash hash of the chosen samples in their global order
   * @param validationSamples samples held out
   * @param partitions training tasks per step
   * @param resumedFrom the step the run resumed at (0 for a fresh run)
   * @param seconds time spent in steps (without the set-up, validations and checkpoints)
   * @param samplesTrained samples processed by the steps of this process
   */
  public record Result(QatState state, QatTrainer trainer, TrainingHistory history, TrainingPlan plan,
      String dataHash, int validationSamples, int partitions, long resumedFrom, double seconds,
      long samplesTrained) {}

  /**
   * Runs the training.
   *
   * @param model the validated model
   * @param modelBytes its serialized bytes (what executors load)
   * @param modelSha the model file's SHA-256, part of the run's fingerprint
   * @param checkpoints where checkpoints go
   * @param resume continue from the newest checkpoint (which must come from a run with the same fingerprint)
   * @param out progress lines
   */
  public static Result run(JavaSparkContext sc, Graph model, byte[] modelBytes, String modelSha, Spec spec,
      Checkpoints checkpoints, boolean resume, PrintWriter out) {
    List<Tuple2<Long, byte[]>> chosen;
    String dataHash;
    try (PlacedSamples placed = PlacedSamples.place(sc, spec.samples(), "qat", (p, seen) -> { })) {
      sc.setJobDescription("qat: read " + placed.plan().samples() + " samples");
      chosen = new ArrayList<>(placed.samples().collect());
      dataHash = placed.dataHash();
    }
    chosen.sort(Comparator.comparing(Tuple2::_1));
    int[][] split = TrainingPlan.split(chosen.size(), spec.validationFraction(), spec.seed());
    if (split[0].length == 0) {
      throw new IllegalArgumentException("no training samples: the data has " + chosen.size() + " samples");
    }
    byte[][] train = pick(chosen, split[0]);
    byte[][] validation = pick(chosen, split[1]);
    TrainingPlan plan = spec.steps() > 0
        ? new TrainingPlan(train.length, spec.batchSize(), spec.microBatchSize(), spec.steps(), spec.seed())
        : TrainingPlan.ofEpochs(train.length, spec.batchSize(), spec.microBatchSize(), spec.epochs(), spec.seed());
    LrSchedule s = spec.options().schedule();
    QatOptions options = spec.options().withSchedule(new LrSchedule(s.base(), s.warmupSteps(), plan.totalSteps(),
        s.kind()));
    Spec job = spec.withOptions(options);
    QuantizerConfig config = spec.config();
    String modelKey = sha256(modelSha, QuantizerConfigFiles.toYaml(config), options.toString());
    String fingerprint = sha256(modelKey, dataHash, plan.toString(), Double.toString(spec.validationFraction()),
        Integer.toString(validation.length));
    QatTrainer trainer;
    QatState state;
    try (QatModel driverModel = new QatModel(model, config, options)) {
      trainer = driverModel.trainer();
      state = trainer.initialState();
    }
    TrainingHistory history = TrainingHistory.start(fingerprint);
    long resumedFrom = 0;
    if (resume) {
      Checkpoints.Checkpoint c = checkpoints.latest();
      if (c == null) {
        throw new IllegalArgumentException("no checkpoint in '" + checkpoints.uri() + "' to resume from");
      }
      if (!c.history().fingerprint().equals(fingerprint)) {
        throw new IllegalArgumentException("checkpoint in '" + checkpoints.uri() + "' was made by a run with other"
            + " settings, model or data; resume with the options of that run, or start over with --overwrite");
      }
      state = c.state();
      history = c.history();
      resumedFrom = state.step();
      out.printf("qat: resuming at step %d of %d from %s%n", resumedFrom, plan.totalSteps(), checkpoints.uri());
    }
    int partitions = partitions(sc, spec.partitions(), plan);
    out.printf("qat: %,d training and %,d validation samples, %d steps (%d per epoch) of %d samples in micro-batches"
        + " of %d on %d partition(s)%n", train.length, validation.length, plan.totalSteps(), plan.stepsPerEpoch(),
        plan.batchSize(), plan.microBatchSize(), partitions);
    out.flush();
    Broadcast<byte[]> modelB = sc.broadcast(modelBytes);
    Broadcast<byte[][]> trainB = sc.broadcast(train);
    Broadcast<byte[][]> validationB = sc.broadcast(validation);
    long stopAfter = sc.getConf().getLong(STOP_AFTER_STEP, -1);
    double seconds = 0;
    long trained = 0;
    long lastLine = 0;
    try {
      if (validation.length > 0 && !history.validated(state.step()) && state.step() == 0) {
        history = history.with(validate(sc, job, modelKey, modelB, validationB, trainer.parameters(state), 0,
            partitions, out));
      }
      while (state.step() < plan.totalSteps()) {
        long step = state.step();
        long started = System.nanoTime();
        QatParameters params = trainer.parameters(state);
        Broadcast<byte[]> paramsB = sc.broadcast(QatCodec.toBytes(params));
        sc.setJobDescription("qat: step " + (step + 1) + " of " + plan.totalSteps());
        Gradients total;
        try {
          total = trainer.total(plan.microBatches(step),
              gradients(sc, job, modelKey, modelB, paramsB, trainB, plan, step, partitions));
        } finally {
          paramsB.destroy();
        }
        double lr = options.schedule().at(step);
        state = trainer.apply(state, total);
        seconds += (System.nanoTime() - started) / 1e9;
        trained += total.samples();
        history = history.with(new TrainingHistory.LossPoint(step, plan.epochOf(step),
            total.lossSum() / total.samples(), lr));
        boolean epochEnd = plan.endsEpoch(step);
        if (System.nanoTime() - lastLine > 5e9 || epochEnd || state.step() == plan.totalSteps()) {
          lastLine = System.nanoTime();
          double rate = trained / seconds;
          out.printf("qat: step %d/%d, epoch %d, loss %.6g, lr %.3g, %.1f samples/s, ETA %s%n", state.step(),
              plan.totalSteps(), plan.epochOf(step) + 1, total.lossSum() / total.samples(), lr, rate,
              eta((plan.totalSteps() - state.step()) * (double) plan.batchSize() / rate));
          out.flush();
        }
        if (epochEnd && validation.length > 0) {
          history = history.with(validate(sc, job, modelKey, modelB, validationB, trainer.parameters(state),
              plan.epochOf(step) + 1, partitions, out));
        }
        if (epochEnd || state.step() == plan.totalSteps()
            || spec.checkpointEvery() > 0 && state.step() % spec.checkpointEvery() == 0) {
          checkpoints.save(state, history);
          if (state.step() == stopAfter) {
            throw new IllegalStateException("stopped after step " + stopAfter + " (" + STOP_AFTER_STEP + ")");
          }
        }
      }
    } finally {
      modelB.destroy();
      trainB.destroy();
      validationB.destroy();
    }
    return new Result(state, trainer, history, plan, dataHash, validation.length, partitions, resumedFrom, seconds,
        trained);
  }

  /** Training tasks per step: as asked, else one per executor JVM (one in a local master), at most one per micro-batch. */
  static int partitions(JavaSparkContext sc, int asked, TrainingPlan plan) {
    int p = asked > 0 ? asked : sc.isLocal() ? 1 : Math.max(1, sc.sc().getExecutorIds().size());
    return Math.min(p, plan.fewestMicroBatches());
  }

  /** One step's gradients: a barrier stage of {@code partitions} tasks, their partial sums by span. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Map<FixedTreeSum.Span, Gradients> gradients(JavaSparkContext sc, Spec job, String modelKey,
      Broadcast<byte[]> model, Broadcast<byte[]> params, Broadcast<byte[][]> train, TrainingPlan plan, long step,
      int partitions) {
    JavaRDD<Integer> tasks = sc.parallelize(indexes(partitions), partitions);
    JavaRDD<Tuple2<Long, byte[]>> pieces = BarrierStage.mapPartitions(tasks,
        (p, it) -> TrainingTasks.gradients(job, modelKey, model.value(), params.value(), train.value(), plan, step,
            p, partitions).iterator(), (Class) Tuple2.class);
    List<Tuple2<Long, byte[]>> all = new ArrayList<>(pieces.collect());
    all.sort(Comparator.comparing(Tuple2::_1));
    Map<FixedTreeSum.Span, Gradients> out = new LinkedHashMap<>();
    ByteArrayOutputStream current = new ByteArrayOutputStream();
    for (int i = 0; i < all.size(); i++) {
      current.writeBytes(all.get(i)._2());
      long p = all.get(i)._1() >>> 32;
      if (i + 1 == all.size() || all.get(i + 1)._1() >>> 32 != p) {
        out.putAll(TrainingTasks.decode(current.toByteArray()));
        current.reset();
      }
    }
    return out;
  }

  private static TrainingHistory.ValidationPoint validate(JavaSparkContext sc, Spec job, String modelKey,
      Broadcast<byte[]> model, Broadcast<byte[][]> validation, QatParameters params, long epoch, int partitions,
      PrintWriter out) {
    sc.setJobDescription("qat: validate after epoch " + epoch);
    Broadcast<byte[]> paramsB = sc.broadcast(QatCodec.toBytes(params));
    boolean fp32 = job.options().loss().needsLabels() && params.step() == 0;
    try {
      List<Tuple2<Integer, double[]>> parts = new ArrayList<>(sc.parallelize(indexes(partitions), partitions)
          .mapPartitionsWithIndex((p, it) -> List.of(new Tuple2<>(p, TrainingTasks.validate(job, modelKey,
              model.value(), paramsB.value(), validation.value(), p, partitions, fp32))).iterator(), true)
          .collect());
      parts.sort(Comparator.comparing(Tuple2::_1));
      double sum = 0;
      double reference = 0;
      long count = 0;
      for (Tuple2<Integer, double[]> t : parts) {
        sum += t._2()[0];
        count += (long) t._2()[1];
        reference += t._2()[2];
      }
      String metric = job.options().loss().metricName();
      Double fp32Value = fp32 ? reference / count : null;
      out.printf("qat: validation after epoch %d (step %d): %s %.5f%s on %d samples%n", epoch, params.step(), metric,
          sum / count, fp32 ? String.format(" (FP32 %.5f)", fp32Value) : "", count);
      out.flush();
      return new TrainingHistory.ValidationPoint(epoch, params.step(), metric, sum / count, count, fp32Value);
    } finally {
      paramsB.destroy();
    }
  }

  private static List<Integer> indexes(int n) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(i);
    }
    return out;
  }

  private static byte[][] pick(List<Tuple2<Long, byte[]>> samples, int[] indexes) {
    byte[][] out = new byte[indexes.length][];
    for (int i = 0; i < indexes.length; i++) {
      out[i] = samples.get(indexes[i])._2();
    }
    return out;
  }

  static String sha256(String... parts) {
    try {
      java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
      for (String p : parts) {
        d.update(p.getBytes(StandardCharsets.UTF_8));
        d.update((byte) 0);
      }
      return java.util.HexFormat.of().formatHex(d.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String eta(double seconds) {
    long t = Double.isFinite(seconds) ? Math.round(seconds) : 0;
    return String.format("%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
  }
}
