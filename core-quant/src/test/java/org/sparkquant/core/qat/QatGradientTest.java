package org.sparkquant.core.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.exec.quant.EngineQuantizer;
import org.sparkquant.core.exec.quant.TrainableFakeQuant;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.Scheme;
import org.sparkquant.core.quantizer.ActivationSpec;
import org.sparkquant.core.quantizer.PreparedModel;
import org.sparkquant.core.quantizer.Quantizer;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.quantizer.WeightSpec;

/**
 * The gradients of a whole training step of a small two-layer network (weights fake-quantized per block, both
 * MatMul inputs with activation quantizers, biases trained, every loss) against central finite differences of an
 * independent reference: the same network run by a plain executor with every fake quantization replaced by the
 * function the estimator differentiates, {@code s · (clip(v/s + c, min, max) − zp)} with the rounding offsets
 * {@code c = round(v₀/s₀) − v₀/s₀} of the unperturbed pass held fixed, and the loss computed in double precision.
 */
class QatGradientTest {
  static final int BATCH = 4;
  static final int IN = 6;
  static final int HIDDEN = 8;
  static final int OUT = 3;

  static Graph twoLayers(Random r) {
    return Graph.builder()
        .opset("", 17)
        .addInput(new ValueInfo("x", DataType.FLOAT, List.of(Dim.of(BATCH), Dim.of(IN))))
        .addConstant("w1", Tensor.ofFloats(new long[] {IN, HIDDEN}, random(r, IN * HIDDEN, 0.5)))
        .addConstant("b1", Tensor.ofFloats(new long[] {HIDDEN}, random(r, HIDDEN, 0.2)))
        .addConstant("w2", Tensor.ofFloats(new long[] {HIDDEN, OUT}, random(r, HIDDEN * OUT, 0.5)))
        .addConstant("b2", Tensor.ofFloats(new long[] {OUT}, random(r, OUT, 0.2)))
        .addNode(Node.of("mm1", "MatMul", List.of("x", "w1"), List.of("h")))
        .addNode(Node.of("add1", "Add", List.of("h", "b1"), List.of("z")))
        .addNode(Node.of("act", "Relu", List.of("z"), List.of("a")))
        .addNode(Node.of("mm2", "MatMul", List.of("a", "w2"), List.of("h2")))
        .addNode(Node.of("add2", "Add", List.of("h2", "b2"), List.of("y")))
        .addOutput(new ValueInfo("y", DataType.FLOAT, List.of(Dim.of(BATCH), Dim.of(OUT))))
        .build();
  }

  static float[] random(Random r, int n, double sd) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (r.nextGaussian() * sd);
    }
    return a;
  }

  /** INT4 weights in blocks of 4 along the input axis (the last block of the first layer partial), UINT8 activations. */
  static QuantizerConfig config() {
    return new QuantizerConfig("test", new WeightSpec(QuantType.INT4, Scheme.SYMMETRIC, WeightSpec.Layout.PER_BLOCK, 4),
        ActivationSpec.minMax(QuantType.UINT8), List.of(), QuantizerConfig.ExecutionMode.GRAPH);
  }

  @ParameterizedTest
  @EnumSource(QatLoss.class)
  void stepGradientsMatchFiniteDifferencesWithStraightThroughScales(QatLoss loss) {
    check(loss, QatOptions.WeightScales.RANGE, false);
  }

  @ParameterizedTest
  @EnumSource(value = QatOptions.WeightScales.class, names = {"PLANNED", "LEARNED"})
  void stepGradientsMatchFiniteDifferencesWithPlannedAndLearnedScales(QatOptions.WeightScales scales) {
    check(QatLoss.MSE, scales, scales == QatOptions.WeightScales.LEARNED);
  }

  private static void check(QatLoss loss, QatOptions.WeightScales scales, boolean learnActivations) {
    Random r = new Random(11);
    Graph g = twoLayers(r);
    float[] x = random(r, BATCH * IN, 1.0);
    long[] labels = {0, 2, 1, 2};
    QatOptions options = QatOptions.defaults(loss, 1e-3, 10).withWeightScales(scales)
        .withLearnedActivationScales(learnActivations).withFreezeObserversAfter(learnActivations ? 1 : 100);
    try (QatModel model = new QatModel(g, config(), options);
        NDManager m = NDManager.newBaseManager()) {
      QatTrainer trainer = model.trainer();
      QatBatch batch = new QatBatch(Map.of("x", m.create(x, new Shape(BATCH, IN))), null,
          m.create(labels));
      // A first step observes the activations of inputs twice as large, so the second quantizes them with ranges
      // that no value of the batch reaches (values on a range's end are kinks of the surrogate).
      QatBatch wide = new QatBatch(Map.of("x", m.create(x, new Shape(BATCH, IN)).mul(2)), null, m.create(labels));
      QatState state = trainer.step(model, trainer.initialState(), List.of(wide));
      QatParameters p = trainer.parameters(widened(state));
      assertEquals(2, p.activationParams().size(), "both MatMul inputs are quantized");
      Gradients grads = model.gradients(p, batch, BATCH);
      assertTrue(grads.tensors().keySet().containsAll(List.of("w1", "w2", "b1", "b2")),
          grads.tensors().keySet().toString());
      try (Reference ref = new Reference(g, model.trainables(), p, x, labels, loss)) {
        assertEquals(ref.loss(p.tensors()), grads.lossSum() / BATCH, 1e-5 * Math.max(1, Math.abs(ref.loss(p.tensors()))),
            "the reference computes the training forward pass");
        int checked = 0;
        for (Map.Entry<String, float[]> e : grads.tensors().entrySet()) {
          checked += compare(ref, p, e.getKey(), e.getValue());
        }
        assertTrue(checked > 20, "compared " + checked + " elements");
      }
    }
  }

  /** The state with learned scales a quarter larger, so that no weight's code sits on the end of its range. */
  private static QatState widened(QatState s) {
    Map<String, float[]> tensors = new HashMap<>(s.tensors());
    tensors.replaceAll((k, v) -> {
      if (!k.endsWith("#scale")) {
        return v;
      }
      float[] w = v.clone();
      for (int i = 0; i < w.length; i++) {
        w[i] *= 1.25f;
      }
      return w;
    });
    return new QatState(s.step(), tensors, s.slots(), s.statistics());
  }

  /**
   * Central differences of the reference loss for every element of tensor {@code key}, except at kinks of the
   * surrogate (an element whose code sits on the clipping boundary, a Relu input at zero), where the one-sided
   * differences disagree; returns the elements compared, and fails if more than a third of them were kinks (with
   * symmetric ranges, the most negative weight of each block sits on the boundary).
   */
  private static int compare(Reference ref, QatParameters p, String key, float[] autograd) {
    float[] base = p.tensor(key);
    boolean scale = key.endsWith("#scale") || key.endsWith("#activation_scale");
    float lsq = 1f;
    if (key.endsWith("#scale")) {
      Trainables.Weight w = ref.trainables.weight(key.substring(0, key.length() - "#scale".length()));
      lsq = TrainableFakeQuant.lsqGradFactor(w.size() / base.length, w.planned().type());
    } else if (key.endsWith("#activation_scale")) {
      lsq = TrainableFakeQuant.lsqGradFactor(ref.activationElements(key), QuantType.UINT8);
    }
    double center = ref.loss(p.tensors());
    int n = 0;
    int kinks = 0;
    for (int i = 0; i < base.length; i++) {
      double h = scale ? 1e-2 * base[i] : 1e-3;
      float[] a = base.clone();
      float[] b = base.clone();
      a[i] += (float) h;
      b[i] -= (float) h;
      double up = ref.loss(with(p.tensors(), key, a));
      double down = ref.loss(with(p.tensors(), key, b));
      double right = (up - center) / ((double) a[i] - base[i]);
      double left = (center - down) / ((double) base[i] - b[i]);
      double fd = (up - down) / ((double) a[i] - b[i]);
      double tolerance = 2e-3 * Math.max(1, Math.abs(fd)) + 2e-4;
      if (Math.abs(right - left) > tolerance) {
        kinks++;
        continue;
      }
      double got = autograd[i] / lsq;
      assertEquals(fd, got, tolerance, key + "[" + i + "]: finite differences " + fd + ", autograd " + got);
      n++;
    }
    assertTrue(kinks <= (n + kinks) / 3, key + ": " + kinks + " of " + (n + kinks) + " elements on kinks");
    return n;
  }

  private static Map<String, float[]> with(Map<String, float[]> tensors, String key, float[] value) {
    Map<String, float[]> out = new HashMap<>(tensors);
    out.put(key, value);
    return out;
  }

  /**
   * The network with each fake quantization replaced by {@code s · (clip(v/s + c, min, max) − zp)}, {@code c} taken
   * from the pass at the step's parameters; weights, biases and learned scales read from the tensors given.
   */
  static final class Reference implements AutoCloseable {
    final Trainables trainables;
    private final QatParameters params;
    private final PreparedModel prepared;
    private final DjlExecutor executor;
    private final DjlExecutor teacher;
    private final NDManager manager = NDManager.newBaseManager();
    private final float[] x;
    private final long[] labels;
    private final QatLoss loss;
    private final Map<String, NDArray> offsets = new HashMap<>();
    private final Map<String, Long> elements = new HashMap<>();
    private Map<String, float[]> tensors;
    private final double[] target;

    Reference(Graph g, Trainables trainables, QatParameters params, float[] x, long[] labels, QatLoss loss) {
      this.trainables = trainables;
      this.params = params;
      this.x = x;
      this.labels = labels;
      this.loss = loss;
      this.prepared = new Quantizer(g, config()).prepare();
      this.executor = new DjlExecutor(prepared.graph());
      this.teacher = new DjlExecutor(g);
      for (Trainables.Weight w : trainables.weights()) {
        executor.setTransform(w.name(), (n, v) -> {
          NDArray s = tensor(Trainables.weightScaleKey(n), null);
          QuantParams q = params.weightParams().get(n);
          EngineQuantizer.Broadcast b = EngineQuantizer.broadcast(manager, q, w.shape());
          NDArray scale = s == null ? b.scale() : EngineQuantizer.expand(s, q.granularity(), w.shape());
          return surrogate(n, tensor(n, w.shape()), scale, b.zeroPoint(), q.type());
        });
      }
      for (Trainables.Vector v : trainables.vectors()) {
        executor.setTransform(v.name(), (n, a) -> tensor(n, v.shape()));
      }
      for (String a : prepared.activationQuantizers()) {
        String group = prepared.activationGroup(a);
        executor.setTransform(PreparedModel.dequantized(a), (n, v) -> {
          QuantParams q = params.activationParams().get(group);
          NDArray s = tensor(Trainables.activationScaleKey(group), new long[0]);
          elements.put(Trainables.activationScaleKey(group), v.size());
          return surrogate(n, v, s == null ? manager.create(q.scale()[0]) : s,
              manager.create((float) q.zeroPoint()[0]), q.type());
        });
      }
      try (NDManager m = NDManager.newBaseManager()) {
        float[] t = teacher.run(m, Map.of("x", m.create(x, new Shape(BATCH, IN)))).get(0).toFloatArray();
        target = new double[t.length];
        for (int i = 0; i < t.length; i++) {
          target[i] = t[i];
        }
      }
    }

    long activationElements(String key) {
      return elements.get(key);
    }

    /** The trained tensor {@code key} from the current tensors (null if there is none). */
    private NDArray tensor(String key, long[] shape) {
      float[] v = tensors.get(key);
      if (v == null) {
        return null;
      }
      return shape == null ? manager.create(v, new Shape(params.weightParams()
          .get(key.substring(0, key.length() - "#scale".length())).paramShape())) : manager.create(v, new Shape(shape));
    }

    /** {@code s · (clip(v/s + c, min, max) − zp)}, {@code c} fixed at the first (unperturbed) pass. */
    private NDArray surrogate(String name, NDArray v, NDArray s, NDArray zp, QuantType type) {
      NDArray q = v.div(s);
      NDArray c = offsets.get(name);
      if (c == null) {
        c = q.round().sub(q);
        ai.djl.ndarray.NDScope.unregister(c);
        c.attach(manager);
        offsets.put(name, c);
      }
      return q.add(c).add(zp).clip(type.min(), type.max()).sub(zp).mul(s);
    }

    /** The mean loss over the batch, in double precision, with the trained tensors {@code t}. */
    double loss(Map<String, float[]> t) {
      tensors = t;
      float[] y;
      try (NDManager m = NDManager.newBaseManager()) {
        y = executor.run(m, Map.of("x", m.create(x, new Shape(BATCH, IN)))).get(0).toFloatArray();
      }
      double total = 0;
      for (int b = 0; b < BATCH; b++) {
        double[] s = new double[OUT];
        double[] u = new double[OUT];
        for (int k = 0; k < OUT; k++) {
          s[k] = y[b * OUT + k];
          u[k] = target[b * OUT + k];
        }
        total += perSample(s, u, (int) labels[b]);
      }
      return total / BATCH;
    }

    private double perSample(double[] s, double[] t, int label) {
      switch (loss) {
        case MSE -> {
          double d = 0;
          for (int k = 0; k < s.length; k++) {
            d += (s[k] - t[k]) * (s[k] - t[k]);
          }
          return d / s.length;
        }
        case COSINE -> {
          double dot = 0;
          double ns = 0;
          double nt = 0;
          for (int k = 0; k < s.length; k++) {
            dot += s[k] * t[k];
            ns += s[k] * s[k];
            nt += t[k] * t[k];
          }
          return 1 - dot / Math.sqrt(ns * nt);
        }
        case KL -> {
          double[] lp = logSoftmax(t);
          double[] lq = logSoftmax(s);
          double d = 0;
          for (int k = 0; k < s.length; k++) {
            d += Math.exp(lp[k]) * (lp[k] - lq[k]);
          }
          return d;
        }
        case CE -> {
          return -logSoftmax(s)[label];
        }
        default -> throw new IllegalStateException();
      }
    }

    private static double[] logSoftmax(double[] v) {
      double max = Double.NEGATIVE_INFINITY;
      for (double d : v) {
        max = Math.max(max, d);
      }
      double sum = 0;
      for (double d : v) {
        sum += Math.exp(d - max);
      }
      double[] out = new double[v.length];
      for (int k = 0; k < v.length; k++) {
        out[k] = v[k] - max - Math.log(sum);
      }
      return out;
    }

    @Override
    public void close() {
      offsets.values().forEach(NDArray::close);
      executor.close();
      teacher.close();
      prepared.close();
      manager.close();
    }
  }
}
