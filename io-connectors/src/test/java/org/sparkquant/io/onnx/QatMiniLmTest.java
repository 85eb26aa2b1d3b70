package org.sparkquant.io.onnx;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.core.export.Backend;
import org.sparkquant.core.gptq.GptqLayers;
import org.sparkquant.core.gptq.GptqOptions;
import org.sparkquant.core.gptq.GptqQuantizer;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.qat.LrSchedule;
import org.sparkquant.core.qat.QatBatch;
import org.sparkquant.core.qat.QatLoss;
import org.sparkquant.core.qat.QatModel;
import org.sparkquant.core.qat.QatOptions;
import org.sparkquant.core.qat.QatState;
import org.sparkquant.core.qat.QatTrainer;
import org.sparkquant.core.qat.TeacherCache;
import org.sparkquant.core.quantizer.PreparedModel;
import org.sparkquant.core.quantizer.Quantizer;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.quantizer.WeightQuantizer;

/**
 * Quantization-aware training of MiniLM, distilled from the FP32 model on sentences of the calibration file,
 * exported and run by ONNX Runtime on held-out sentences: its embedding error (1 − mean cosine of mean-pooled
 * embeddings against FP32) is at most half of round to nearest's.
 *
 * <p>System properties change the measurement: {@code qat.train} (training sentences, default 512),
 * {@code qat.epochs} (1; the product's acceptance numbers use 3), {@code qat.batch} (32), {@code qat.microBatch}
 * (8: a step's gradients are summed over micro-batches of 8, as the Spark job does), {@code qat.lr} (1e-4),
 * {@code qat.heldOut} (held-out sentences, default all 250), {@code qat.preset} ({@code w4g32}), {@code qat.loss}
 * ({@code COSINE}), {@code qat.init} ({@code rtn}, or {@code gptq} to start from GPTQ's weights and scales) and
 * {@code qat.everyEpoch} (measure the held-out cosine after every epoch). An epoch (16 steps of 32 sentences) takes
 * one to three minutes on two cores.
 */
class QatMiniLmTest {
  @TempDir Path dir;

  @Test
  void distilledTrainingHalvesTheEmbeddingErrorOfRoundToNearest() throws Exception {
    Result r = measure(dir);
    assertTrue(1 - r.qat() <= 0.5 * (1 - r.rtn()), "QAT error " + (1 - r.qat()) + " vs RTN error " + (1 - r.rtn()));
  }

  /** Held-out mean cosines of round to nearest and of the trained model, and the training time. */
  record Result(double rtn, double qat, double seconds) {}

  /** Experiments outside Maven: {@code java -cp … QatMiniLmTest} from {@code io-connectors} with the properties. */
  public static void main(String[] args) throws Exception {
    Path tmp = java.nio.file.Files.createTempDirectory("qat");
    measure(tmp);
  }

  /** The sentences {@code ids} of {@code texts} as one batch, arrays owned by {@code m}. */
  static QatBatch encode(List<String> texts, int[] ids, NDManager m) {
    List<String> batch = new ArrayList<>();
    for (int id : ids) {
      batch.add(texts.get(id));
    }
    try {
      Map<String, NDArray> inputs = OrtReference.Input.toArrays(MiniLmInputs.tokenize(batch), m);
      return new QatBatch(inputs, inputs.get("attention_mask"), null);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static Result measure(Path dir) throws Exception {
    int trainCount = Integer.getInteger("qat.train", 512);
    int epochs = Integer.getInteger("qat.epochs", 1);
    int batch = Integer.getInteger("qat.batch", 32);
    int microBatch = Integer.getInteger("qat.microBatch", 8);
    double lr = Double.parseDouble(System.getProperty("qat.lr", "1e-4"));
    int heldOutCount = Integer.getInteger("qat.heldOut", 250);
    String preset = System.getProperty("qat.preset", "w4g32");
    QatLoss loss = QatLoss.valueOf(System.getProperty("qat.loss", "COSINE"));
    boolean gptq = System.getProperty("qat.init", "rtn").equals("gptq");
    boolean everyEpoch = Boolean.getBoolean("qat.everyEpoch");
    Path fp32 = TestModels.path(TestModels.MINILM);
    Graph model = new OnnxModelReader().read(fp32);
    QuantizerConfig config = QuantizerConfig.preset(preset);
    List<Map<String, OrtReference.Input>> heldOut = GptqMiniLmTest.batches(GptqMiniLmTest.lines("held-out.txt",
        heldOutCount));
    List<float[]> reference = new ArrayList<>();
    try (OrtReference ort = new OrtReference(fp32, 2)) {
      for (Map<String, OrtReference.Input> b : heldOut) {
        reference.add(ort.run(b, List.of("output_0")).get("output_0"));
      }
    }
    List<String> train = GptqMiniLmTest.lines("calibration.txt", trainCount);
    Path rtnFile = dir.resolve("rtn.onnx");
    try (PreparedModel p = new Quantizer(model, config).prepare()) {
      if (config.quantizesActivations()) {
        // round to nearest with activation ranges calibrated on the training sentences
        try (PreparedModel.Mode c = p.calibrationMode(); NDManager m = NDManager.newBaseManager()) {
          for (Map<String, OrtReference.Input> b : GptqMiniLmTest.batches(train)) {
            Map<String, NDArray> inputs = OrtReference.Input.toArrays(b, m);
            p.observe(inputs, inputs.get("attention_mask")).close();
          }
        }
      }
      new OnnxModelWriter().write(p.finalize(Backend.ONNX_QDQ), rtnFile);
    }
    double rtn = GptqMiniLmTest.meanCosine(rtnFile, heldOut, reference);

    int stepsPerEpoch = (train.size() + batch - 1) / batch;
    QatOptions options = QatOptions.defaults(loss, lr, (long) stepsPerEpoch * epochs);
    long start = System.nanoTime();
    Path qatFile = dir.resolve("qat.onnx");
    WeightQuantizer.Plan init = WeightQuantizer.plan(model, config);
    if (gptq) {
      // start from GPTQ's weights (solved on the training sentences), its scales kept fixed
      try (NDManager m = NDManager.newBaseManager()) {
        List<GptqQuantizer.Batch> calibration = new ArrayList<>();
        for (Map<String, OrtReference.Input> b : GptqMiniLmTest.batches(train)) {
          Map<String, NDArray> arrays = OrtReference.Input.toArrays(b, m);
          calibration.add(new GptqQuantizer.Batch(arrays, arrays.get("attention_mask")));
        }
        init = GptqQuantizer.run(GptqLayers.of(model, config), GptqOptions.defaults(), calibration).plan();
      }
      options = options.withWeightScales(QatOptions.WeightScales.PLANNED);
    }
    try (QatModel qat = new QatModel(model, config, options, init)) {
      QatTrainer trainer = qat.trainer();
      QatState state = trainer.initialState();
      Random shuffle = new Random(42);
      // teacher outputs computed once, each in the first epoch's micro-batch that holds the sample (as the job does)
      TeacherCache teachers = new TeacherCache(1L << 30);
      int[][] groups = new int[train.size()][];
      for (int epoch = 0; epoch < epochs; epoch++) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
          order.add(i);
        }
        Collections.shuffle(order, shuffle);
        for (int i = 0; i < order.size(); i += batch) {
          try (NDManager m = NDManager.newBaseManager()) {
            List<QatBatch> micro = new ArrayList<>();
            for (int k = i; k < Math.min(i + batch, order.size()); k += microBatch) {
              int[] ids = order.subList(k, Math.min(Math.min(k + microBatch, i + batch), order.size())).stream()
                  .mapToInt(Integer::intValue).toArray();
              if (epoch == 0) {
                for (int id : ids) {
                  groups[id] = ids;
                }
              }
              micro.add(teachers.withTeacher(qat, m, encode(train, ids, m), ids, id -> groups[id],
                  g -> encode(train, g, m)));
            }
            state = trainer.step(qat, state, micro);
          }
        }
        if (everyEpoch || epoch + 1 == epochs) {
          new OnnxModelWriter().write(trainer.finalize(state, Backend.ONNX_QDQ), qatFile);
        }
        if (everyEpoch) {
          System.out.printf("epoch %d: %d steps, %.1f s, held-out mean cosine %.5f%n", epoch + 1, state.step(),
              (System.nanoTime() - start) / 1e9, GptqMiniLmTest.meanCosine(qatFile, heldOut, reference));
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double qat = GptqMiniLmTest.meanCosine(qatFile, heldOut, reference);
    System.out.printf("MiniLM %s, QAT (%s%s) on %d sentences x %d epochs (batch %d, lr %g), %d held-out sentences:"
            + " mean cosine RTN %.5f, QAT %.5f (error ratio %.3f); training %.1f s%n",
        preset, loss, gptq ? ", from GPTQ" : "", train.size(), epochs, batch, lr, heldOutCount, rtn, qat,
        (1 - qat) / (1 - rtn), seconds);
    return new Result(rtn, qat, seconds);
  }
}
