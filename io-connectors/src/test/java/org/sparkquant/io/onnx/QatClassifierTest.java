package org.sparkquant.io.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.qat.Gradients;
import org.sparkquant.core.qat.QatBatch;
import org.sparkquant.core.qat.QatLoss;
import org.sparkquant.core.qat.QatModel;
import org.sparkquant.core.qat.QatOptions;
import org.sparkquant.core.qat.QatParameters;
import org.sparkquant.core.qat.QatTrainer;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.io.config.QuantizerConfigFiles;

/**
 * QAT of the PaddleOCR text-direction classifier (convolutions, HardSigmoid, histogram observers, a Softmax output)
 * with labels.
 */
class QatClassifierTest {
  @Test
  void crossEntropyGradientsAreTheSameOnEveryRunWhateverTheCollectorDoes() throws Exception {
    Graph cls = new OnnxModelReader().read(TestModels.path(TestModels.OCR_CLS));
    assertTrue(QatModel.outputsProbabilities(cls), "the classifier ends with a Softmax");
    QuantizerConfig config = QuantizerConfigFiles.parse(Files.readString(Path.of("..", "conf", "examples",
        "ppocr-cls.yaml")).replace("preset: w8a8", "preset: w4a8g32"), "ppocr-cls.yaml");
    int n = 16;
    float[] x = new float[n * 3 * 48 * 192];
    long[] labels = new long[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 2;
      TextLines.toTensor(TextLines.render(TextLines.TEXTS[i], i % 2 == 1, i), 48, 192, x, i);
    }
    try (QatModel model = new QatModel(cls, config, QatOptions.defaults(QatLoss.CE, 1e-4, 10))) {
      QatTrainer trainer = model.trainer();
      QatParameters p = trainer.parameters(trainer.initialState());
      Gradients first = null;
      for (int run = 0; run < 4; run++) {
        try (NDManager m = NDManager.newBaseManager()) {
          QatBatch batch = new QatBatch(Map.of("x", m.create(x, new Shape(n, 3, 48, 192))), null, m.create(labels));
          Gradients g = model.gradients(p, batch, n);
          if (first == null) {
            first = g;
            continue;
          }
          assertEquals(first.lossSum(), g.lossSum());
          for (String key : first.tensors().keySet()) {
            assertArrayEquals(first.tensors().get(key), g.tensors().get(key), key);
          }
        }
        System.gc();
      }
    }
  }
}
