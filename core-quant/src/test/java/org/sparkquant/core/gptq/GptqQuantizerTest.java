package org.sparkquant.core.gptq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.export.Backend;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.ScalarQuantizer;
import org.sparkquant.core.numerics.Scheme;
import org.sparkquant.core.quantizer.PreparedModel;
import org.sparkquant.core.quantizer.Quantizer;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.quantizer.WeightQuantizer;
import org.sparkquant.core.quantizer.WeightSpec;

class GptqQuantizerTest {
  private static final int B = 4;
  private static final int T = 12;
  private NDManager m;

  @BeforeEach
  void open() {
    m = NDManager.newBaseManager();
  }

  @AfterEach
  void close() {
    m.close();
  }

  /** {@code (x · mask) → {w1 → Relu → w2, w3}}, summed: w1 and w3 share their input. */
  static Graph model() {
    Random r = new Random(3);
    return Graph.builder().opset("", 17)
        .addInput(new ValueInfo("x", DataType.FLOAT, List.of(Dim.of(-1), Dim.of(-1), Dim.of(16))))
        .addInput(new ValueInfo("mask", DataType.FLOAT, List.of(Dim.of(-1), Dim.of(-1))))
        .addConstant("axes", Tensor.ofLongs(new long[] {1}, 2))
        .addConstant("w1", Tensor.ofFloats(new long[] {16, 32}, random(r, 16 * 32, 0.3f)))
        .addConstant("w2", Tensor.ofFloats(new long[] {32, 8}, random(r, 32 * 8, 0.3f)))
        .addConstant("w3", Tensor.ofFloats(new long[] {16, 8}, random(r, 16 * 8, 0.3f)))
        .addNode(Node.of("unsq", "Unsqueeze", List.of("mask", "axes"), List.of("m3")))
        .addNode(Node.of("masked", "Mul", List.of("x", "m3"), List.of("xm")))
        .addNode(Node.of("fc1", "MatMul", List.of("xm", "w1"), List.of("a")))
        .addNode(Node.of("side", "MatMul", List.of("xm", "w3"), List.of("b")))
        .addNode(Node.of("relu", "Relu", List.of("a"), List.of("ra")))
        .addNode(Node.of("fc2", "MatMul", List.of("ra", "w2"), List.of("c")))
        .addNode(Node.of("sum", "Add", List.of("c", "b"), List.of("y")))
        .addOutput(new ValueInfo("y", DataType.FLOAT, null))
        .build();
  }

  private static float[] random(Random r, int n, float scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian() * scale;
    }
    return v;
  }

  /** Correlated inputs (GPTQ gains over rounding when inputs are correlated), the last tokens padding. */
  private List<GptqQuantizer.Batch> batches(int count, long seed) {
    Random r = new Random(seed);
    float[] mix = random(new Random(11), 16 * 16, 0.5f);
    List<GptqQuantizer.Batch> out = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      float[] x = new float[B * T * 16];
      float[] mask = new float[B * T];
      for (int s = 0; s < B; s++) {
        int real = T - (s + k) % 5;
        for (int t = 0; t < T; t++) {
          mask[s * T + t] = t < real ? 1 : 0;
          float[] z = random(r, 16, 1f);
          for (int i = 0; i < 16; i++) {
            float v = 0;
            for (int j = 0; j < 16; j++) {
              v += mix[i * 16 + j] * z[j];
            }
            x[(s * T + t) * 16 + i] = t < real ? v : 1000f;
          }
        }
      }
      NDArray xa = m.create(x, new Shape(B, T, 16));
      NDArray ma = m.create(mask, new Shape(B, T));
      out.add(new GptqQuantizer.Batch(Map.of("x", xa, "mask", ma), ma));
    }
    return out;
  }

  private static QuantizerConfig config(WeightSpec spec) {
    return new QuantizerConfig("test", spec, null, List.of(), QuantizerConfig.ExecutionMode.GRAPH);
  }

  private static final WeightSpec INT4_G8 = new WeightSpec(QuantType.INT4, Scheme.SYMMETRIC,
      WeightSpec.Layout.PER_BLOCK, 8);

  @Test
  void layersSharingAnInputFormOneGroupInGraphOrder() {
    GptqLayers layers = GptqLayers.of(model(), config(INT4_G8));
    assertEquals(2, layers.groups().size());
    GptqLayers.Group first = layers.groups().get(0);
    assertEquals("xm", first.input());
    assertEquals(16, first.features());
    assertEquals(List.of("w1", "w3"), first.layers().stream().map(GptqLayers.Layer::weight).toList());
    assertEquals(32, first.layers().get(0).rows());
    assertTrue(first.layers().get(0).transposed());
    assertEquals(List.of("w2"), layers.groups().get(1).layers().stream().map(GptqLayers.Layer::weight).toList());
    assertEquals(32, layers.groups().get(1).features());
    assertTrue(layers.fallbacks().isEmpty());
  }

  @Test
  void hessiansCountRealTokensOnly() {
    GptqLayers layers = GptqLayers.of(model(), config(INT4_G8));
    List<GptqQuantizer.Batch> data = batches(1, 5);
    try (HessianCollector c = new HessianCollector(layers)) {
      HessianAccumulator a = c.accumulate(layers.groups().get(0), data.get(0).inputs(), data.get(0).tokenMask());
      long real = (long) data.get(0).tokenMask().sum().getFloat();
      assertEquals(real, a.rows());
      HessianAccumulator all = c.accumulate(layers.groups().get(0), data.get(0).inputs(), null);
      assertEquals(B * T, all.rows());
    }
  }

  /** Mean squared output error of {@code g} against the FP32 model on {@code data}. */
  private double outputError(Graph g, List<GptqQuantizer.Batch> data) {
    double err = 0;
    long n = 0;
    try (DjlExecutor fp = new DjlExecutor(model());
        DjlExecutor q = new DjlExecutor(g)) {
      for (GptqQuantizer.Batch b : data) {
        float[] y = fp.run(m, b.inputs()).get(0).toFloatArray();
        float[] z = q.run(m, b.inputs()).get(0).toFloatArray();
        float[] mask = b.tokenMask().toFloatArray();
        for (int i = 0; i < y.length; i++) {
          if (mask[i / 8] != 0) {
            err += (y[i] - z[i]) * (y[i] - z[i]);
            n++;
          }
        }
      }
    }
    return err / n;
  }

  @Test
  void sequentialGptqBeatsRoundToNearestAndExportsItsCodes() {
    QuantizerConfig config = config(INT4_G8);
    GptqLayers layers = GptqLayers.of(model(), config);
    List<GptqQuantizer.Batch> calibration = batches(6, 1);
    GptqQuantizer q = GptqQuantizer.run(layers, GptqOptions.defaults(), calibration);
    assertTrue(q.done());
    assertEquals(3, q.results().size());
    for (GptqQuantizer.LayerResult r : q.results()) {
      assertEquals("gptq", r.method());
      assertTrue(r.loss() > 0 && r.damping() == 0.01 && r.hessianRows() > 0, r.toString());
    }
    WeightQuantizer.Plan plan = q.plan();
    for (String w : List.of("w1", "w2", "w3")) {
      Tensor t = plan.graph().constants().get(w);
      java.nio.ByteBuffer data = plan.quantized().get(w).data();
      byte[] bytes = new byte[data.remaining()];
      data.duplicate().get(bytes);
      int[] codes = org.sparkquant.core.numerics.Packing.unpack(plan.params().get(w).type(), bytes,
          (int) t.numElements());
      assertArrayEquals(ScalarQuantizer.dequantize(codes, t.shape(), plan.params().get(w)), t.floats(), w);
    }
    Graph exported;
    try (PreparedModel p = new Quantizer(model(), config).prepare(plan)) {
      exported = p.finalize(Backend.ONNX_QDQ);
    }
    Graph rtn;
    try (PreparedModel p = new Quantizer(model(), config).prepare()) {
      rtn = p.finalize(Backend.ONNX_QDQ);
    }
    List<GptqQuantizer.Batch> heldOut = batches(4, 99);
    double gptqError = outputError(exported, heldOut);
    double rtnError = outputError(rtn, heldOut);
    assertEquals(gptqError, outputError(plan.graph(), heldOut), 1e-9 * gptqError, "export = planned weights");
    assertTrue(gptqError < 0.7 * rtnError, "GPTQ " + gptqError + " vs RTN " + rtnError);
  }

  @Test
  void actOrderOnBlocksNeedsStaticGroups() {
    GptqLayers layers = GptqLayers.of(model(), config(INT4_G8));
    assertThrows(IllegalArgumentException.class,
        () -> new GptqQuantizer(layers, GptqOptions.defaults().withActOrder(true)));
    GptqQuantizer q = GptqQuantizer.run(layers, GptqOptions.defaults().withActOrder(true).withStaticGroups(true),
        batches(2, 1));
    assertTrue(q.done());
  }

  @Test
  void groupsAreSolvedInOrder() {
    GptqQuantizer q = new GptqQuantizer(GptqLayers.of(model(), config(INT4_G8)), GptqOptions.defaults());
    assertThrows(IllegalStateException.class, () -> q.solve(1, new HessianAccumulator(32)));
    assertThrows(IllegalStateException.class, q::plan);
  }

  @Test
  void cutsCarryOnlyTheValuesReadLater() {
    GptqLayers layers = GptqLayers.of(model(), config(INT4_G8));
    ModelCuts cuts = new ModelCuts(layers.graph(), layers.groups().stream().map(GptqLayers.Group::input).toList());
    assertEquals(List.of("xm"), cuts.live(0));
    assertEquals(List.of("b", "ra"), cuts.live(1));
    assertEquals(List.of("unsq", "masked"), cuts.prefix().nodes().stream().map(Node::name).toList());
    assertEquals(List.of("fc1", "side", "relu"), cuts.segment(0).nodes().stream().map(Node::name).toList());
    assertEquals(java.util.Set.of("w1", "w3"), cuts.segment(0).constants().keySet(), "only the weights it reads");
  }

  @Test
  void advancedBoundariesGiveTheStatisticsOfWholeRunsWithTheSolvedWeights() {
    GptqLayers layers = GptqLayers.of(model(), config(INT4_G8));
    List<GptqQuantizer.Batch> data = batches(2, 5);
    GptqQuantizer q = GptqQuantizer.run(layers, GptqOptions.defaults(), data);
    Map<String, float[]> group0 = new HashMap<>(q.solvedWeights());
    group0.remove("w2");
    GptqLayers.Group second = layers.groups().get(1);
    try (HessianCollector c = new HessianCollector(layers)) {
      c.setWeights(group0);
      for (GptqQuantizer.Batch b : data) {
        HessianAccumulator viaBoundaries;
        try (LayerBoundary start = c.start(b.inputs(), b.tokenMask())) {
          byte[] stored = start.toBytes();
          try (LayerBoundary back = LayerBoundary.fromBytes(stored);
              LayerBoundary next = c.advance(back)) {
            assertEquals(1, next.group());
            viaBoundaries = c.accumulate(next);
          }
        }
        HessianAccumulator whole = new HessianAccumulator(second.features());
        Graph installed = layers.graph().toBuilder()
            .addConstant("w1", Tensor.ofFloats(new long[] {16, 32}, group0.get("w1")))
            .addConstant("w3", Tensor.ofFloats(new long[] {16, 8}, group0.get("w3"))).build();
        try (DjlExecutor e = new DjlExecutor(installed);
            org.sparkquant.core.exec.GraphExecutor.Registration r = e.addListener((n, name, v) -> {
              if (name.equals("ra")) {
                whole.add(v, b.tokenMask());
              }
            })) {
          e.run(m, b.inputs()).close();
        }
        assertEquals(whole.rows(), viaBoundaries.rows());
        assertArrayEquals(whole.hessian(), viaBoundaries.hessian(), 1e-12 * max(whole.hessian()));
      }
    }
  }

  private static double max(double[] v) {
    double m = 0;
    for (double x : v) {
      m = Math.max(m, Math.abs(x));
    }
    return m;
  }
}
