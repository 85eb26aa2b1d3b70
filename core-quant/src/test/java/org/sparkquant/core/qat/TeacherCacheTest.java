package org.sparkquant.core.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;
import org.sparkquant.core.quantizer.QuantizerConfig;

class TeacherCacheTest {
  static final int FEATURES = 6;
  static final int HIDDEN = 8;

  /** {@code x [batch, tokens, 6] → MatMul → Tanh → [batch, tokens, 8]}: an embedding model in miniature. */
  static Graph tokens() {
    Random r = new Random(2);
    return Graph.builder().opset("", 17)
        .addInput(new ValueInfo("x", DataType.FLOAT, List.of(Dim.of(-1), Dim.of(-1), Dim.of(FEATURES))))
        .addConstant("w", Tensor.ofFloats(new long[] {FEATURES, HIDDEN},
            QatGradientTest.random(r, FEATURES * HIDDEN, 0.5)))
        .addNode(Node.of("mm", "MatMul", List.of("x", "w"), List.of("h")))
        .addNode(Node.of("act", "Tanh", List.of("h"), List.of("y")))
        .addOutput(new ValueInfo("y", DataType.FLOAT, null))
        .build();
  }

  /** Samples 0..5, sample i with i % 3 + 1 real tokens; a batch pads them to {@code len} tokens. */
  static QatBatch batch(NDManager m, int[] ids, int len) {
    float[] x = new float[ids.length * len * FEATURES];
    long[] mask = new long[ids.length * len];
    for (int k = 0; k < ids.length; k++) {
      Random r = new Random(100 + ids[k]);
      for (int t = 0; t < ids[k] % 3 + 1; t++) {
        mask[k * len + t] = 1;
        for (int f = 0; f < FEATURES; f++) {
          x[(k * len + t) * FEATURES + f] = (float) r.nextGaussian();
        }
      }
    }
    return new QatBatch(Map.of("x", m.create(x, new Shape(ids.length, len, FEATURES))),
        m.create(mask, new Shape(ids.length, len)), null);
  }

  @Test
  void aSamplesTargetIsItsGroupsOutputAtItsRealPositionsInAnyBatch() {
    QatOptions options = QatOptions.defaults(QatLoss.COSINE, 1e-3, 4);
    int[] group = {0, 1, 2, 3};
    try (QatModel model = new QatModel(tokens(), QuantizerConfig.preset("w8"), options);
        NDManager m = NDManager.newBaseManager()) {
      float[] direct = model.teacherOutput(m, batch(m, group, 3)).toFloatArray();
      for (long budget : new long[] {1L << 20, 1}) { // ample, and so small that every use recomputes
        TeacherCache cache = new TeacherCache(budget);
        int[] ids = {2, 0, 3};
        QatBatch b = cache.withTeacher(model, m, batch(m, ids, 5), ids, id -> group, g -> batch(m, g, 3));
        float[] got = b.teacher().toFloatArray();
        assertArrayEquals(new long[] {3, 5, HIDDEN}, b.teacher().getShape().getShape());
        for (int k = 0; k < ids.length; k++) {
          for (int t = 0; t < 5; t++) {
            for (int h = 0; h < HIDDEN; h++) {
              float want = t < ids[k] % 3 + 1 ? direct[(ids[k] * 3 + t) * HIDDEN + h] : 0f;
              assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[(k * 5 + t) * HIDDEN + h]),
                  "sample " + ids[k] + " token " + t + " budget " + budget);
            }
          }
        }
        assertTrue(budget > 1 ? cache.bytes() > 0 : cache.bytes() < 4L * 3 * HIDDEN * 4);
      }
    }
  }

  @Test
  void gradientsWithTheCachedTargetsOfTheBatchItselfAreThoseComputedWithIt() {
    QatOptions options = QatOptions.defaults(QatLoss.COSINE, 1e-3, 4);
    int[] ids = {4, 1, 5};
    try (QatModel model = new QatModel(tokens(), QuantizerConfig.preset("w8"), options);
        NDManager m = NDManager.newBaseManager()) {
      QatTrainer trainer = model.trainer();
      QatParameters p = trainer.parameters(trainer.initialState());
      QatBatch plain = batch(m, ids, 4);
      QatBatch cached = new TeacherCache(1 << 20).withTeacher(model, m, plain, ids, id -> ids, g -> batch(m, g, 4));
      Gradients a = model.gradients(p, plain, 3);
      Gradients b = model.gradients(p, cached, 3);
      assertEquals(a.lossSum(), b.lossSum());
      for (String k : a.tensors().keySet()) {
        assertArrayEquals(a.tensors().get(k), b.tensors().get(k), k);
      }
      NDArray t = cached.teacher();
      assertEquals(0f, t.get("0, 2:").abs().sum().getFloat(), "sample 4 has two real tokens; padding rows are zero");
      assertTrue(t.get("0, :2").abs().sum().getFloat() > 0);
    }
  }
}
