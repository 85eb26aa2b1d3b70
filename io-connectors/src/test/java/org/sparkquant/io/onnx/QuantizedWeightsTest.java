package org.sparkquant.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.exec.GraphExecutor;
import org.sparkquant.core.exec.quant.EngineQuantizer;
import org.sparkquant.core.export.QuantizedWeights;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.Scheme;
import org.sparkquant.core.quantizer.WeightQuantizer;
import org.sparkquant.core.quantizer.WeightSpec;

/**
 * Weight-only quantization of MiniLM's MatMul weights stored as ONNX QDQ: ONNX Runtime runs the export and agrees
 * with our executor running the original graph with fake-quantized weights, and embeddings stay close to FP32.
 */
class QuantizedWeightsTest {
  @TempDir static Path dir;
  static Graph graph;
  static Map<String, OrtReference.Input> inputs;
  static float[] fp32;

  @BeforeAll
  static void load() throws Exception {
    graph = new OnnxModelReader().read(TestModels.path(TestModels.MINILM));
    inputs = MiniLmInputs.tokenize(MiniLmInputs.sentences());
    try (OrtReference ort = new OrtReference(TestModels.path(TestModels.MINILM), 2)) {
      fp32 = ort.run(inputs, List.of("output_0")).get("output_0");
    }
  }

  /** RTN parameters for every 2-D weight that is a MatMul's second input. */
  static Map<String, QuantParams> rtn(QuantType type, Granularity g) {
    Map<String, QuantParams> params = new HashMap<>();
    for (Node n : graph.nodes()) {
      Tensor w = n.opType().equals("MatMul") ? graph.constants().get(n.inputs().get(1)) : null;
      if (w == null || w.rank() != 2) {
        continue;
      }
      WeightSpec spec = new WeightSpec(type, Scheme.SYMMETRIC, WeightSpec.Layout.PER_TENSOR, 0);
      params.put(n.inputs().get(1), WeightQuantizer.rangeParams(w, spec, g));
    }
    return params;
  }

  /** Our executor on the original graph with each weight fake-quantized by a transform: the prepared model. */
  static float[] prepared(Map<String, QuantParams> params) {
    try (DjlExecutor exec = new DjlExecutor(graph);
        NDManager m = NDManager.newBaseManager()) {
      List<GraphExecutor.Registration> regs = new java.util.ArrayList<>();
      params.forEach((name, p) -> regs.add(exec.setTransform(name, (n, w) -> EngineQuantizer.fakeQuantize(w, p))));
      return exec.run(m, OrtReference.Input.toArrays(inputs, m)).get(0).toFloatArray();
    }
  }

  /** Mean over sentences of the cosine between mean-pooled embeddings. */
  static double meanCosine(float[] a, float[] b) {
    return meanCosine(a, b, inputs);
  }

  /** As {@link #meanCosine(float[], float[])} for the sentences of {@code feed}. */
  static double meanCosine(float[] a, float[] b, Map<String, OrtReference.Input> feed) {
    long[] shape = feed.get("attention_mask").shape();
    long[] mask = (long[]) feed.get("attention_mask").data();
    int batch = (int) shape[0];
    int len = (int) shape[1];
    int hidden = a.length / batch / len;
    double total = 0;
    for (int s = 0; s < batch; s++) {
      double[] pa = new double[hidden];
      double[] pb = new double[hidden];
      for (int t = 0; t < len; t++) {
        if (mask[s * len + t] == 0) {
          continue;
        }
        for (int h = 0; h < hidden; h++) {
          pa[h] += a[(s * len + t) * hidden + h];
          pb[h] += b[(s * len + t) * hidden + h];
        }
      }
      double dot = 0;
      double na = 0;
      double nb = 0;
      for (int h = 0; h < hidden; h++) {
        dot += pa[h] * pb[h];
        na += pa[h] * pa[h];
        nb += pb[h] * pb[h];
      }
      total += dot / Math.sqrt(na * nb);
    }
    return total / batch;
  }

  private static double exportAndCompare(String name, QuantType type, Granularity g, long opset) throws Exception {
    Map<String, QuantParams> params = rtn(type, g);
    assertEquals(36, params.size(), "q, k, v, output and two feed-forward weights in six layers");
    Graph exported = new QuantizedWeights(params).apply(graph);
    assertEquals(opset, exported.defaultOpset());
    Path file = dir.resolve(name + ".onnx");
    new OnnxModelWriter().write(exported, file);
    float[] expected = prepared(params);
    float[] ours = ModelParityTest.runOurs(file, inputs).get("output_0");
    assertTrue(ModelParityTest.maxAbsDiff(expected, ours) <= 1e-4, name + ": our executor on the export");
    if (type != QuantType.FP4_E2M1) {
      float[] ort;
      try (OrtReference r = new OrtReference(file, 2)) {
        ort = r.run(inputs, List.of("output_0")).get("output_0");
      }
      double diff = ModelParityTest.maxAbsDiff(expected, ort);
      assertTrue(diff <= 1e-4, name + ": ONNX Runtime on the export vs the prepared model, max abs diff " + diff);
    }
    double cosine = meanCosine(expected, fp32);
    System.out.printf("%s: mean cosine vs FP32 %.5f, file %d bytes%n", name, cosine, java.nio.file.Files.size(file));
    return cosine;
  }

  @Test
  void int8PerChannelWeightsRunInOnnxRuntimeAndStayCloseToFp32() throws Exception {
    assertTrue(exportAndCompare("w8", QuantType.INT8, Granularity.perChannel(1), 14) >= 0.999);
  }

  @Test
  void int4BlocksOf32RunInOnnxRuntime() throws Exception {
    assertTrue(exportAndCompare("w4g32", QuantType.INT4, Granularity.perBlock(0, 32), 21) >= 0.955);
  }

  @Test
  void int4MatMulsAsMatMulNBitsRunInOnnxRuntimeAndOurExecutor() throws Exception {
    Map<String, QuantParams> params = rtn(QuantType.INT4, Granularity.perBlock(0, 32));
    Graph exported = new org.sparkquant.core.export.MatMulNBitsWeights(params).apply(graph);
    assertEquals(36, exported.nodes().stream().filter(n -> n.opType().equals("MatMulNBits")).count());
    Path file = dir.resolve("w4g32-nbits.onnx");
    new OnnxModelWriter().write(exported, file);
    float[] expected = prepared(params);
    float[] ort;
    try (OrtReference r = new OrtReference(file, 2)) {
      ort = r.run(inputs, List.of("output_0")).get("output_0");
    }
    float[] ours = ModelParityTest.runOurs(file, inputs).get("output_0");
    double diff = ModelParityTest.maxAbsDiff(expected, ort);
    System.out.printf("w4g32 as MatMulNBits: ONNX Runtime vs prepared max abs diff %.3g, file %d bytes%n", diff,
        java.nio.file.Files.size(file));
    assertTrue(diff <= 1e-4, "ONNX Runtime vs prepared " + diff);
    assertTrue(ModelParityTest.maxAbsDiff(expected, ours) <= 1e-4, "our executor vs prepared");
  }

  @Test
  void fp8PerChannelWeightsRunInOnnxRuntime() throws Exception {
    assertTrue(exportAndCompare("fp8", QuantType.FP8_E4M3FN, Granularity.perChannel(1), 19) >= 0.998);
  }

  @Test
  void int2BlocksOf16RunInOnnxRuntime() throws Exception {
    exportAndCompare("w2g16", QuantType.INT2, Granularity.perBlock(0, 16), 25);
  }

  @Test
  void fp4BlocksOf32ReadBackAndRunInOurExecutor() throws Exception {
    exportAndCompare("fp4g32", QuantType.FP4_E2M1, Granularity.perBlock(0, 32), 23);
  }
}
