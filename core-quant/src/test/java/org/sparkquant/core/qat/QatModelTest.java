package org.sparkquant.core.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.ValueInfo;

class QatModelTest {
  /** {@code logits} with its output {@code y} turned into probabilities: Softmax over the last axis, then Identity. */
  private static Graph withSoftmax(Graph logits, long axis) {
    Graph.Builder b = Graph.builder().opset("", 17);
    logits.inputs().forEach(b::addInput);
    logits.constants().forEach(b::addConstant);
    logits.nodes().forEach(b::addNode);
    return b.addNode(Node.of("softmax", "Softmax", List.of("y"), List.of("p"), Attribute.of("axis", axis)))
        .addNode(Node.of("id", "Identity", List.of("p"), List.of("probabilities")))
        .addOutput(new ValueInfo("probabilities", DataType.FLOAT,
            List.of(Dim.of(QatGradientTest.BATCH), Dim.of(QatGradientTest.OUT))))
        .build();
  }

  @ParameterizedTest
  @EnumSource(value = QatLoss.class, names = {"KL", "CE"})
  void aClassifierThatOutputsProbabilitiesTrainsAsOnItsLogits(QatLoss loss) {
    Graph logits = QatGradientTest.twoLayers(new Random(3));
    Graph probabilities = withSoftmax(logits, -1);
    assertTrue(QatModel.outputsProbabilities(probabilities));
    assertTrue(QatModel.outputsProbabilities(withSoftmax(logits, 1)));
    assertFalse(QatModel.outputsProbabilities(withSoftmax(logits, 0)));
    assertFalse(QatModel.outputsProbabilities(logits));
    float[] x = QatGradientTest.random(new Random(4), QatGradientTest.BATCH * QatGradientTest.IN, 2.0);
    long[] labels = {2, 0, 1, 1};
    QatOptions options = QatOptions.defaults(loss, 1e-3, 10);
    Gradients[] grads = new Gradients[2];
    double[] metric = new double[2];
    List<Graph> graphs = List.of(logits, probabilities);
    for (int i = 0; i < 2; i++) {
      try (QatModel model = new QatModel(graphs.get(i), QatGradientTest.config(), options);
          NDManager m = NDManager.newBaseManager()) {
        QatTrainer trainer = model.trainer();
        QatParameters p = trainer.parameters(trainer.initialState());
        QatBatch batch = new QatBatch(Map.of("x", m.create(x, new Shape(QatGradientTest.BATCH, QatGradientTest.IN))),
            null, m.create(labels));
        grads[i] = model.gradients(p, batch, QatGradientTest.BATCH);
        metric[i] = model.metricSum(p, batch);
      }
    }
    assertNotEquals(0, grads[0].lossSum());
    assertEquals(grads[0].lossSum(), grads[1].lossSum(), 1e-5 * Math.abs(grads[0].lossSum()));
    assertEquals(metric[0], metric[1]);
    assertEquals(grads[0].tensors().keySet(), grads[1].tensors().keySet());
    for (String key : grads[0].tensors().keySet()) {
      float[] a = grads[0].tensors().get(key);
      float[] b = grads[1].tensors().get(key);
      for (int k = 0; k < a.length; k++) {
        assertEquals(a[k], b[k], 1e-5f + 1e-4f * Math.abs(a[k]), key + "[" + k + "]");
      }
    }
  }
}
