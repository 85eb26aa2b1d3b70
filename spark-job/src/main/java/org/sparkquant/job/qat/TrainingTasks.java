package org.sparkquant.job.qat;

import ai.djl.ndarray.NDManager;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.spark.SparkEnv;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.qat.Gradients;
import org.sparkquant.core.qat.QatBatch;
import org.sparkquant.core.qat.QatCodec;
import org.sparkquant.core.qat.QatModel;
import org.sparkquant.core.qat.QatParameters;
import org.sparkquant.core.qat.QatTrainer;
import org.sparkquant.core.qat.TeacherCache;
import org.sparkquant.core.sum.FixedTreeSum;
import org.sparkquant.io.data.BatchEncoder;
import org.sparkquant.io.data.DataFormats;
import org.sparkquant.io.data.EncodedBatch;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.job.spark.EngineThreads;
import org.sparkquant.job.spark.EngineSelfCheck;
import scala.Tuple2;

/**
 * What training tasks compute on an executor. The model being trained is kept for the life of the JVM (one per job),
 * and a JVM runs one training pass at a time: the engine collects gradients for one pass per process, so tasks that
 * share a JVM (local masters, executors with several cores) take turns; their results do not depend on it.
 */
final class TrainingTasks {
  /** Bytes per task result record: gradients go back in pieces that any serializer buffer takes. */
  static final int CHUNK = 8 << 20;

  private static final Object LOCK = new Object();
  private static String key;
  private static QatModel model;
  private static TeacherCache teachers;
  private static TeacherGroups groups;

  private TrainingTasks() {}

  /** Runs {@code f} with this JVM's model for {@code modelKey}, made with {@code spec} on first use, alone. */
  private static <R> R withModel(QatJob.Spec spec, String modelKey, byte[] modelBytes, Function<QatModel, R> f) {
    synchronized (LOCK) {
      EngineThreads.fixTo(SparkEnv.get() == null ? 1 : SparkEnv.get().conf().getInt("spark.task.cpus", 1));
      if (!modelKey.equals(key)) {
        if (model != null) {
          model.close();
          model = null;
        }
        Graph graph = new OnnxModelReader().read(modelBytes, "broadcast");
        EngineSelfCheck.onExecutor(modelKey, graph, spec.data());
        model = new QatModel(graph,
            spec.config(), spec.options());
        key = modelKey;
        teachers = new TeacherCache(Math.min(1L << 30, Runtime.getRuntime().maxMemory() / 4));
        groups = null;
      }
      return f.apply(model);
    }
  }

  /**
   * The gradients of partition {@code p}'s micro-batches of {@code step}: partial sums along the fixed tree, encoded
   * and cut into records keyed {@code (p << 32) | piece}.
   */
  static List<Tuple2<Long, byte[]>> gradients(QatJob.Spec spec, String modelKey, byte[] modelBytes, byte[] params,
      byte[][] train, TrainingPlan plan, long step, int p, int partitions) {
    QatParameters qp = QatCodec.parameters(params);
    if (qp.step() != step) {
      throw new IllegalStateException("parameters of step " + qp.step() + " broadcast for step " + step);
    }
    int n = plan.microBatches(step);
    int[] range = TrainingPlan.range(p, partitions, n);
    long global = plan.stepSamples(step).length;
    Map<FixedTreeSum.Span, Gradients> parts = withModel(spec, modelKey, modelBytes, m -> {
      QatTrainer trainer = m.trainer();
      if (groups == null || !groups.plan().equals(plan)) {
        groups = new TeacherGroups(plan);
      }
      boolean distill = !spec.options().loss().needsLabels();
      try (BatchEncoder encoder = DataFormats.newEncoder(spec.data(), spec.tokenizer())) {
        return trainer.partial(n, range[0], range[1], i -> {
          int[] ids = plan.microBatch(step, i);
          return run(encoder, payloads(train, ids), (nd, b) -> m.gradients(qp, !distill ? b
              : teachers.withTeacher(m, nd, b, ids, groups::group,
                  g -> encode(encoder, payloads(train, g), nd)), global));
        });
      }
    });
    return pieces(p, encode(parts));
  }

  /**
   * The validation metric summed over partition {@code p}'s micro-batches of the validation samples, the count, and
   * with {@code fp32} the FP32 model's metric summed over them (else 0).
   */
  static double[] validate(QatJob.Spec spec, String modelKey, byte[] modelBytes, byte[] params, byte[][] validation,
      int p, int partitions, boolean fp32) {
    QatParameters qp = QatCodec.parameters(params);
    int micro = spec.microBatchSize();
    int n = (validation.length + micro - 1) / micro;
    int[] range = TrainingPlan.range(p, partitions, n);
    return withModel(spec, modelKey, modelBytes, m -> {
      double sum = 0;
      double reference = 0;
      long count = 0;
      try (BatchEncoder encoder = DataFormats.newEncoder(spec.data(), spec.tokenizer())) {
        for (int i = range[0]; i < range[1]; i++) {
          List<byte[]> batch = new ArrayList<>();
          for (int k = i * micro; k < Math.min((i + 1) * micro, validation.length); k++) {
            batch.add(validation[k]);
          }
          double[] metrics = run(encoder, batch,
              (nd, b) -> new double[] {m.metricSum(qp, b), fp32 ? m.fp32MetricSum(b) : 0});
          sum += metrics[0];
          reference += metrics[1];
          count += batch.size();
        }
      }
      return new double[] {sum, count, reference};
    });
  }

  private static List<byte[]> payloads(byte[][] samples, int[] indexes) {
    List<byte[]> out = new ArrayList<>(indexes.length);
    for (int i : indexes) {
      out.add(samples[i]);
    }
    return out;
  }

  /** Encodes {@code payloads} into engine arrays and applies {@code f} to the batch and the arrays' manager. */
  private static <R> R run(BatchEncoder encoder, List<byte[]> payloads, BiFunction<NDManager, QatBatch, R> f) {
    try (NDManager nd = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE)) {
      return f.apply(nd, encode(encoder, payloads, nd));
    }
  }

  private static QatBatch encode(BatchEncoder encoder, List<byte[]> payloads, NDManager nd) {
    EncodedBatch enc = encoder.encode(payloads);
    return new QatBatch(enc.arrays(nd), enc.maskArray(nd), enc.labelArray(nd));
  }

  /** Partial sums as bytes: count, then per span its bounds and its encoded gradients. */
  static byte[] encode(Map<FixedTreeSum.Span, Gradients> parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (DataOutputStream d = new DataOutputStream(b)) {
      d.writeInt(parts.size());
      for (Map.Entry<FixedTreeSum.Span, Gradients> e : parts.entrySet()) {
        byte[] g = QatCodec.toBytes(e.getValue());
        d.writeInt(e.getKey().lo());
        d.writeInt(e.getKey().hi());
        d.writeInt(g.length);
        d.write(g);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return b.toByteArray();
  }

  static Map<FixedTreeSum.Span, Gradients> decode(byte[] bytes) {
    Map<FixedTreeSum.Span, Gradients> out = new LinkedHashMap<>();
    try (DataInputStream d = new DataInputStream(new ByteArrayInputStream(bytes))) {
      int n = d.readInt();
      for (int i = 0; i < n; i++) {
        FixedTreeSum.Span span = new FixedTreeSum.Span(d.readInt(), d.readInt());
        byte[] g = new byte[d.readInt()];
        d.readFully(g);
        out.put(span, QatCodec.gradients(g));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private static List<Tuple2<Long, byte[]>> pieces(int p, byte[] bytes) {
    List<Tuple2<Long, byte[]>> out = new ArrayList<>();
    for (int off = 0, piece = 0; off < bytes.length || piece == 0; off += CHUNK, piece++) {
      out.add(new Tuple2<>(((long) p << 32) | piece,
          java.util.Arrays.copyOfRange(bytes, off, Math.min(bytes.length, off + CHUNK))));
    }
    return out;
  }
}
