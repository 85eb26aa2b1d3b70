package org.sparkquant.core.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.ModelFormatException;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;

class DjlExecutorTest {

  /** y = sum(tanh(x @ w + b)^2): small, differentiable, with two constants. */
  static Graph smallMlp(float[] w, float[] b) {
    return Graph.builder()
        .opset("", 17)
        .addInput(new ValueInfo("x", DataType.FLOAT, List.of(Dim.of(4), Dim.of(3))))
        .addConstant("w", Tensor.ofFloats(new long[] {3, 2}, w))
        .addConstant("b", Tensor.ofFloats(new long[] {2}, b))
        .addConstant("axes", Tensor.ofLongs(new long[] {2}, 0, 1))
        .addNode(Node.of("mm", "MatMul", List.of("x", "w"), List.of("h")))
        .addNode(Node.of("bias", "Add", List.of("h", "b"), List.of("z")))
        .addNode(Node.of("act", "Tanh", List.of("z"), List.of("t")))
        .addNode(Node.of("sq", "Mul", List.of("t", "t"), List.of("s")))
        .addNode(Node.of("sum", "ReduceSum", List.of("s", "axes"), List.of("y"), Attribute.of("keepdims", 0L)))
        .addOutput(new ValueInfo("y", DataType.FLOAT, List.of()))
        .build();
  }

  static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian() * 0.5f;
    }
    return a;
  }

  static double loss(float[] x, float[] w, float[] b) {
    try (DjlExecutor exec = new DjlExecutor(smallMlp(w, b));
        NDManager m = NDManager.newBaseManager()) {
      return exec.run(m, Map.of("x", m.create(x, new Shape(4, 3)))).singletonOrThrow().getFloat();
    }
  }

  @Test
  void gradientsReachConstantsAndMatchFiniteDifferences() {
    Random r = new Random(7);
    float[] x = random(r, 12);
    float[] w = random(r, 6);
    float[] b = random(r, 2);
    float[] grad;
    try (DjlExecutor exec = new DjlExecutor(smallMlp(w, b));
        NDManager m = NDManager.newBaseManager()) {
      exec.requireGradient(List.of("w"));
      try (GradientCollector gc = m.getEngine().newGradientCollector()) {
        NDArray y = exec.run(m, Map.of("x", m.create(x, new Shape(4, 3)))).singletonOrThrow();
        gc.backward(y);
      }
      grad = exec.constant("w").getGradient().toFloatArray();
    }
    for (int i = 0; i < w.length; i++) {
      float[] plus = w.clone();
      float[] minus = w.clone();
      double h = 1e-2;
      plus[i] += (float) h;
      minus[i] -= (float) h;
      double fd = (loss(x, plus, b) - loss(x, minus, b)) / (2 * h);
      assertEquals(fd, grad[i], 2e-3 + 1e-2 * Math.abs(fd), "d loss / d w[" + i + "]");
    }
  }

  @Test
  void listenersSeeEveryIntermediateAndTransformsReplaceValues() {
    Random r = new Random(1);
    try (DjlExecutor exec = new DjlExecutor(smallMlp(random(r, 6), random(r, 2)));
        NDManager m = NDManager.newBaseManager()) {
      List<String> seen = new ArrayList<>();
      NDArray x = m.create(random(r, 12), new Shape(4, 3));
      float before = exec.run(m, Map.of("x", x)).singletonOrThrow().getFloat();
      try (GraphExecutor.Registration l = exec.addListener((node, name, v) -> seen.add(name));
          GraphExecutor.Registration t = exec.setTransform("t", (name, v) -> v.zerosLike())) {
        float zeroed = exec.run(m, Map.of("x", x)).singletonOrThrow().getFloat();
        assertEquals(0f, zeroed);
      }
      assertEquals(List.of("x", "h", "z", "t", "s", "y"), seen);
      assertEquals(before, exec.run(m, Map.of("x", x)).singletonOrThrow().getFloat(), "transform removed on close");
    }
  }

  @Test
  void transformsApplyToConstantsToo() {
    try (DjlExecutor exec = new DjlExecutor(smallMlp(new float[6], new float[] {1, 1}));
        NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.zeros(new Shape(4, 3));
      float tanh1 = (float) Math.tanh(1);
      assertEquals(8 * tanh1 * tanh1, exec.run(m, Map.of("x", x)).singletonOrThrow().getFloat(), 1e-5);
      try (GraphExecutor.Registration t = exec.setTransform("b", (name, v) -> v.mul(0))) {
        assertEquals(0f, exec.run(m, Map.of("x", x)).singletonOrThrow().getFloat());
      }
    }
  }

  @Test
  void missingOrUnknownInputsAreNamed() {
    try (DjlExecutor exec = new DjlExecutor(smallMlp(new float[6], new float[2]));
        NDManager m = NDManager.newBaseManager()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> exec.run(m, Map.of()));
      assertTrue(e.getMessage().contains("missing input 'x'"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> exec.run(m, Map.of("x", m.zeros(new Shape(4, 3)), "y", m.zeros(new Shape(1)))));
      assertTrue(e.getMessage().contains("unknown input 'y'") && e.getMessage().contains("[x]"), e.getMessage());
    }
  }

  @Test
  void shapeErrorsNameTheNode() {
    try (DjlExecutor exec = new DjlExecutor(smallMlp(new float[6], new float[2]));
        NDManager m = NDManager.newBaseManager()) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> exec.run(m, Map.of("x", m.zeros(new Shape(4, 5)))));
      // MatMul and the bias Add run as one fused kernel, named after both nodes.
      assertTrue(e.getMessage().contains("node 'mm+bias' (ai.sparkquant:MatMulBias)"), e.getMessage());
      try (GraphExecutor.Registration l = exec.addListener((node, name, v) -> {})) {
        e = assertThrows(IllegalArgumentException.class, () -> exec.run(m, Map.of("x", m.zeros(new Shape(4, 5)))));
        assertTrue(e.getMessage().contains("node 'mm' (MatMul)"), e.getMessage());
      }
    }
  }

  @Test
  void unknownOperatorUnsupportedOpsetAndWrongAttributeTypeAreRejected() {
    Graph unknown = Graph.builder().opset("", 17)
        .addInput(new ValueInfo("x", DataType.FLOAT, null))
        .addNode(new Node("n", "FancyOp", "com.example", List.of("x"), List.of("y"), Map.of()))
        .addOutput(new ValueInfo("y", DataType.FLOAT, null)).build();
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> OpRegistry.standard().validate(unknown));
    assertTrue(e.getMessage().contains("unknown operator FancyOp in domain 'com.example'"), e.getMessage());

    Graph old = unknown.toBuilder().clearNodes().opset("", 3)
        .addNode(Node.of("n", "Relu", List.of("x"), List.of("y"))).build();
    e = assertThrows(ModelFormatException.class, () -> OpRegistry.standard().validate(old));
    assertTrue(e.getMessage().contains("unsupported opset 3"), e.getMessage());

    Graph wrongAttr = unknown.toBuilder().clearNodes()
        .addNode(Node.of("sm", "Softmax", List.of("x"), List.of("y"), Attribute.of("axis", 1.5f))).build();
    e = assertThrows(ModelFormatException.class, () -> OpRegistry.standard().validate(wrongAttr));
    assertTrue(e.getMessage().contains("node 'sm' (Softmax): attribute 'axis' must be INT, found FLOAT"),
        e.getMessage());
  }

  @Test
  void shapeChainsAreRememberedPerInputShapeAndStayCorrect() {
    // y = Reshape(x, [-1, dim1 of x]) built from Shape -> Gather -> Unsqueeze -> Concat, as exporters do.
    Graph g = Graph.builder().opset("", 13)
        .addInput(new ValueInfo("x", DataType.FLOAT, List.of(Dim.symbolic("a"), Dim.symbolic("b"), Dim.of(2))))
        .addConstant("one", Tensor.ofLongs(new long[0], 1))
        .addConstant("zero", Tensor.ofLongs(new long[] {1}, 0))
        .addConstant("minus1", Tensor.ofLongs(new long[] {1}, -1))
        .addNode(Node.of("shape", "Shape", List.of("x"), List.of("s")))
        .addNode(Node.of("gather", "Gather", List.of("s", "one"), List.of("d"), Attribute.of("axis", 0L)))
        .addNode(Node.of("unsq", "Unsqueeze", List.of("d", "zero"), List.of("du")))
        .addNode(Node.of("concat", "Concat", List.of("minus1", "du"), List.of("t"), Attribute.of("axis", 0L)))
        .addNode(Node.of("reshape", "Reshape", List.of("x", "t"), List.of("y")))
        .addOutput(new ValueInfo("y", DataType.FLOAT, null)).build();
    try (DjlExecutor exec = new DjlExecutor(g);
        NDManager m = NDManager.newBaseManager()) {
      Random r = new Random(9);
      long[][] shapes = {{2, 3, 2}, {4, 5, 2}, {2, 3, 2}, {4, 5, 2}, {1, 7, 2}};
      for (long[] shape : shapes) {
        float[] x = random(r, (int) (shape[0] * shape[1] * shape[2]));
        NDArray y = exec.run(m, Map.of("x", m.create(x, new Shape(shape)))).singletonOrThrow();
        assertArrayEquals(new long[] {shape[0] * 2, shape[1]}, y.getShape().getShape());
        assertArrayEquals(x, y.toFloatArray());
      }
    }
  }

  @Test
  void viewsOfFreedShapeValuesStayValidAfterGarbageCollection() {
    // Gather's scalar select and Unsqueeze are views of Shape's output, which the executor frees after Gather. A
    // Shape output borrowing a direct buffer would be read after the buffer was collected: force that to happen
    // between Unsqueeze and Concat, with fresh direct buffers over the freed memory.
    Graph g = Graph.builder().opset("", 13)
        .addInput(new ValueInfo("x", DataType.FLOAT, List.of(Dim.symbolic("a"), Dim.symbolic("b"), Dim.of(2))))
        .addConstant("zero", Tensor.ofLongs(new long[0], 0))
        .addConstant("one", Tensor.ofLongs(new long[0], 1))
        .addConstant("axes", Tensor.ofLongs(new long[] {1}, 0))
        .addConstant("last", Tensor.ofLongs(new long[] {1}, 2))
        .addNode(Node.of("shape", "Shape", List.of("x"), List.of("s")))
        .addNode(Node.of("g0", "Gather", List.of("s", "zero"), List.of("d0"), Attribute.of("axis", 0L)))
        .addNode(Node.of("g1", "Gather", List.of("s", "one"), List.of("d1"), Attribute.of("axis", 0L)))
        .addNode(Node.of("u0", "Unsqueeze", List.of("d0", "axes"), List.of("du0")))
        .addNode(Node.of("u1", "Unsqueeze", List.of("d1", "axes"), List.of("du1")))
        .addNode(Node.of("concat", "Concat", List.of("du0", "du1", "last"), List.of("t"), Attribute.of("axis", 0L)))
        .addNode(Node.of("reshape", "Reshape", List.of("x", "t"), List.of("y")))
        .addOutput(new ValueInfo("y", DataType.FLOAT, null)).build();
    List<java.nio.ByteBuffer> junk = new ArrayList<>();
    try (DjlExecutor exec = new DjlExecutor(g);
        NDManager m = NDManager.newBaseManager();
        var reg = exec.addListener((node, name, v) -> {
          if (name.equals("du1")) {
            System.gc();
            try {
              Thread.sleep(20);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            junk.clear();
            for (int i = 0; i < 200; i++) {
              java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(24);
              b.putLong(0, -1).putLong(8, -1).putLong(16, -1);
              junk.add(b);
            }
          }
        })) {
      for (int b = 1; b <= 5; b++) {
        NDArray x = m.zeros(new Shape(3, b, 2));
        NDArray y = exec.run(m, Map.of("x", x)).singletonOrThrow();
        assertArrayEquals(new long[] {3, b, 2}, y.getShape().getShape());
      }
    }
  }

  /** Resident set size from /proc (Linux), in bytes. */
  static long rss() throws IOException {
    String statm = Files.readString(Path.of("/proc/self/statm")).trim();
    return Long.parseLong(statm.split(" ")[1]) * 4096;
  }

  @Test
  void thousandRunsLeaveNativeMemoryFlat() throws IOException {
    Random r = new Random(3);
    int n = 256;
    float[] w = random(r, n * n);
    Graph g = Graph.builder().opset("", 17)
        .addInput(new ValueInfo("x", DataType.FLOAT, List.of(Dim.of(64), Dim.of(n))))
        .addConstant("w", Tensor.ofFloats(new long[] {n, n}, w))
        .addNode(Node.of("mm", "MatMul", List.of("x", "w"), List.of("h")))
        .addNode(Node.of("act", "Relu", List.of("h"), List.of("a")))
        .addNode(Node.of("mm2", "MatMul", List.of("a", "w"), List.of("y")))
        .addOutput(new ValueInfo("y", DataType.FLOAT, null)).build();
    try (DjlExecutor exec = new DjlExecutor(g);
        NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.create(random(r, 64 * n), new Shape(64, n));
      for (int i = 0; i < 100; i++) {
        exec.run(m, Map.of("x", x)).close();
      }
      long start = rss();
      for (int i = 0; i < 1000; i++) {
        try (NDList out = exec.run(m, Map.of("x", x))) {
          assertArrayEquals(new long[] {64, n}, out.singletonOrThrow().getShape().getShape());
        }
      }
      long growth = rss() - start;
      // Each run allocates about 200 KB of intermediates; a leak would add about 200 MB over 1000 runs.
      assertTrue(growth < 16L << 20, "native memory grew by " + (growth >> 10) + " KB over 1000 runs");
    }
  }
}
