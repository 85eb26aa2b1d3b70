package org.sparkquant.core.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.export.Backend;
import org.sparkquant.core.fusion.TinyNets;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.sum.FixedTreeSum;

class QatTrainerTest {
  static final int MICRO_BATCHES = 4;

  /** Micro-batches of the two-layer network's input, {@code 4 × 6} each. */
  static List<QatBatch> batches(NDManager m, int count, long seed) {
    Random r = new Random(seed);
    List<QatBatch> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      float[] x = QatGradientTest.random(r, QatGradientTest.BATCH * QatGradientTest.IN, 1.0);
      out.add(new QatBatch(Map.of("x", m.create(x, new Shape(QatGradientTest.BATCH, QatGradientTest.IN))), null,
          null));
    }
    return out;
  }

  static QatOptions options(QatOptions.WeightScales scales) {
    return QatOptions.defaults(QatLoss.MSE, 1e-2, 6).withWeightScales(scales).withLearnedActivationScales(true)
        .withFreezeObserversAfter(2);
  }

  /**
   * A step whose micro-batches are spread over workers: each worker sums its contiguous range along the fixed tree
   * and ships the partial sums as bytes; the driver completes the tree.
   */
  static QatState distributedStep(QatModel worker, QatTrainer trainer, QatState s, List<QatBatch> batches,
      int... cuts) {
    QatParameters p = QatCodec.parameters(QatCodec.toBytes(trainer.parameters(s)));
    long global = batches.stream().mapToLong(QatBatch::size).sum();
    Map<FixedTreeSum.Span, Gradients> all = new LinkedHashMap<>();
    int from = 0;
    for (int k = 0; k <= cuts.length; k++) {
      int to = k < cuts.length ? cuts[k] : batches.size();
      trainer.partial(batches.size(), from, to, i -> worker.gradients(p, batches.get(i), global))
          .forEach((span, g) -> all.put(span, QatCodec.gradients(QatCodec.toBytes(g))));
      from = to;
    }
    return trainer.apply(s, trainer.total(batches.size(), all));
  }

  @Test
  void anySplitOfTheMicroBatchesBetweenWorkersGivesTheSameBits() {
    Graph g = QatGradientTest.twoLayers(new Random(3));
    try (QatModel model = new QatModel(g, QatGradientTest.config(), options(QatOptions.WeightScales.LEARNED));
        NDManager m = NDManager.newBaseManager()) {
      QatTrainer trainer = model.trainer();
      List<QatBatch> batches = batches(m, MICRO_BATCHES, 5);
      QatState one = trainer.initialState();
      QatState two = one;
      QatState three = one;
      for (int step = 0; step < 4; step++) {
        one = trainer.step(model, one, batches);
        two = distributedStep(model, trainer, two, batches, 1);
        three = distributedStep(model, trainer, three, batches, 2, 3);
      }
      assertTrue(one.tensors().containsKey(Trainables.activationScaleKey("x")), "activation scales learnt after 2");
      assertTrue(one.sameBits(two), "split 1 + 3: max difference " + one.maxDifference(two));
      assertTrue(one.sameBits(three), "split 2 + 1 + 1: max difference " + one.maxDifference(three));
      assertFalse(one.sameBits(trainer.initialState()) , "training changed nothing");
    }
  }

  @Test
  void aStateReadBackContinuesExactlyAsTheUninterruptedRun() {
    Graph g = QatGradientTest.twoLayers(new Random(3));
    try (QatModel model = new QatModel(g, QatGradientTest.config(), options(QatOptions.WeightScales.RANGE));
        NDManager m = NDManager.newBaseManager()) {
      QatTrainer trainer = model.trainer();
      List<QatBatch> batches = batches(m, 2, 9);
      QatState straight = trainer.initialState();
      QatState resumed = trainer.initialState();
      for (int step = 0; step < 5; step++) {
        straight = trainer.step(model, straight, batches);
        resumed = QatCodec.state(QatCodec.toBytes(trainer.step(model, resumed, batches)));
      }
      assertEquals(5, resumed.step());
      assertTrue(straight.sameBits(resumed), "max difference " + straight.maxDifference(resumed));
      assertEquals(straight.statistics().samples(), resumed.statistics().samples());
    }
  }

  @Test
  void trainingLowersTheDistillationLossBelowRoundToNearest() {
    Graph g = QatGradientTest.twoLayers(new Random(3));
    QatOptions options = QatOptions.defaults(QatLoss.MSE, 3e-3, 40).withFreezeObserversAfter(5);
    try (QatModel model = new QatModel(g, QatGradientTest.config(), options);
        NDManager m = NDManager.newBaseManager()) {
      QatTrainer trainer = model.trainer();
      List<QatBatch> batches = batches(m, 2, 13);
      QatState s = trainer.initialState();
      s = trainer.step(model, s, batches);
      double first = loss(model, trainer, s, batches);
      for (int i = 1; i < 40; i++) {
        s = trainer.step(model, s, batches);
      }
      double last = loss(model, trainer, s, batches);
      assertTrue(last < 0.5 * first, "distillation loss " + first + " after one step, " + last + " after 40");
    }
  }

  private static double loss(QatModel model, QatTrainer trainer, QatState s, List<QatBatch> batches) {
    QatParameters p = trainer.parameters(s);
    double sum = 0;
    for (QatBatch b : batches) {
      sum += model.gradients(p, b, 1).lossSum();
    }
    return sum;
  }

  @Test
  void theExportComputesWhatTrainingEvaluates() {
    Graph g = QatGradientTest.twoLayers(new Random(3));
    for (QatOptions.WeightScales scales : QatOptions.WeightScales.values()) {
      try (QatModel model = new QatModel(g, QatGradientTest.config(), options(scales));
          NDManager m = NDManager.newBaseManager()) {
        QatTrainer trainer = model.trainer();
        List<QatBatch> batches = batches(m, 2, 17);
        QatState s = trainer.initialState();
        for (int i = 0; i < 4; i++) {
          s = trainer.step(model, s, batches);
        }
        Graph exported = trainer.finalize(s, Backend.ONNX_QDQ);
        assertTrue(exported.nodes().stream().anyMatch(n -> n.opType().equals("QuantizeLinear")));
        Map<String, NDArray> in = batches.get(0).inputs();
        float[] trained = model.forward(trainer.parameters(s), in).get(0).toFloatArray();
        float[] ours;
        try (DjlExecutor exec = new DjlExecutor(exported); NDList out = exec.run(m, in)) {
          ours = out.get(0).toFloatArray();
        }
        for (int i = 0; i < trained.length; i++) {
          assertEquals(trained[i], ours[i], 1e-5, scales + ": output " + i);
        }
      }
    }
  }

  @Test
  void batchNormParametersTrainUntilTheirFreeze() {
    Graph g = TinyNets.build(TinyNets.builder()
        .addNode(TinyNets.conv("conv", "x", "c"))
        .addNode(TinyNets.bn("bn", "c", "n"))
        .addNode(TinyNets.op("relu", "Relu", "y", "n")), "y");
    QuantizerConfig config = QuantizerConfig.preset("w8a8").withMode(QuantizerConfig.ExecutionMode.EAGER);
    QatOptions options = QatOptions.defaults(QatLoss.MSE, 1e-2, 6).withFreezeBatchNormAfter(2);
    try (QatModel model = new QatModel(g, config, options);
        NDManager m = NDManager.newBaseManager()) {
      QatTrainer trainer = model.trainer();
      assertEquals(List.of("b", "gamma", "beta"),
          model.trainables().vectors().stream().map(Trainables.Vector::name).sorted(
              java.util.Comparator.comparing(List.of("b", "gamma", "beta")::indexOf)).toList());
      QatBatch batch = new QatBatch(Map.of("x", m.create(QatGradientTest.random(new Random(1), 144, 1.0),
          new Shape(1, 4, 6, 6))), null, null);
      QatState s = trainer.initialState();
      List<float[]> gammas = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        gammas.add(s.tensor("gamma"));
        assertEquals(i < 2, trainer.parameters(s).trained().contains("gamma"), "step " + i);
        s = trainer.step(model, s, List.of(batch));
      }
      gammas.add(s.tensor("gamma"));
      assertFalse(java.util.Arrays.equals(gammas.get(0), gammas.get(2)), "gamma trained before the freeze");
      assertTrue(java.util.Arrays.equals(gammas.get(2), gammas.get(4)), "gamma changed after the freeze");
    }
  }

  @Test
  void optimizersFollowTheirPyTorchFormulas() {
    float[] grads = {0.5f, -0.25f, 1e-3f};
    for (Optimizer.Config c : List.of(Optimizer.Config.adamW().withWeightDecay(0.1), Optimizer.Config.sgd()
        .withWeightDecay(0.1))) {
      Optimizer o = c.newOptimizer();
      float[] p = {1f, -2f, 0.5f};
      float[][] state = new float[o.slots()][3];
      double[] ref = {1, -2, 0.5};
      double[] m = new double[3];
      double[] v = new double[3];
      for (int step = 0; step < 3; step++) {
        float lr = 0.1f / (step + 1);
        o.update(p, grads, state, lr, step, true);
        for (int i = 0; i < 3; i++) {
          if (c.kind() == Optimizer.Kind.ADAMW) {
            ref[i] *= 1 - lr * 0.1;
            m[i] = 0.9 * m[i] + 0.1 * grads[i];
            v[i] = 0.999 * v[i] + 0.001 * grads[i] * grads[i];
            double mh = m[i] / (1 - Math.pow(0.9, step + 1));
            double vh = v[i] / (1 - Math.pow(0.999, step + 1));
            ref[i] -= lr * mh / (Math.sqrt(vh) + 1e-8);
          } else {
            double g = grads[i] + 0.1 * ref[i];
            m[i] = step == 0 ? g : 0.9 * m[i] + g;
            ref[i] -= lr * m[i];
          }
        }
      }
      for (int i = 0; i < 3; i++) {
        assertEquals(ref[i], p[i], 1e-5, c.kind() + " element " + i);
      }
    }
  }

  @Test
  void scheduleWarmsUpLinearlyThenDecaysToZero() {
    LrSchedule cosine = new LrSchedule(1.0, 4, 14, LrSchedule.Kind.COSINE);
    assertEquals(0.25, cosine.at(0), 1e-12);
    assertEquals(1.0, cosine.at(3), 1e-12);
    assertEquals(1.0, cosine.at(4), 1e-12);
    assertEquals(0.5, cosine.at(9), 1e-12);
    assertEquals(0.0, cosine.at(14), 1e-12);
    LrSchedule constant = new LrSchedule(0.5, 0, 10, LrSchedule.Kind.CONSTANT);
    assertEquals(0.5, constant.at(0), 0);
    assertEquals(0.5, constant.at(9), 0);
  }
}
