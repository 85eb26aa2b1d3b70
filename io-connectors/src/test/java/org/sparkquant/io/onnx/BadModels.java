package org.sparkquant.io.onnx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;
import org.sparkquant.io.onnx.proto.Onnx.AttributeProto;
import org.sparkquant.io.onnx.proto.Onnx.GraphProto;
import org.sparkquant.io.onnx.proto.Onnx.ModelProto;
import org.sparkquant.io.onnx.proto.Onnx.NodeProto;
import org.sparkquant.io.onnx.proto.Onnx.StringStringEntryProto;
import org.sparkquant.io.onnx.proto.Onnx.TensorProto;

/** Model files that are wrong in one specific way, with a fragment the error message must contain. */
public enum BadModels {
  MISSING("does not exist"),
  EMPTY("is empty"),
  RANDOM_BYTES("is not"),
  TRUNCATED("truncated"),
  DIRECTORY("is a directory"),
  EXTERNAL_ABSOLUTE("is absolute"),
  EXTERNAL_PARENT("contains '..'"),
  EXTERNAL_SYMLINK("leads outside the model's directory"),
  EXTERNAL_RANGE("exceeds file"),
  UNKNOWN_OP("unknown operator FancyOp in domain 'com.example'"),
  DANGLING_INPUT("node 'mm' (MatMul): input 'nowhere'"),
  CYCLE("cycle"),
  WRONG_ATTRIBUTE_TYPE("attribute 'axis' must be INT"),
  UNSUPPORTED_OPSET("unsupported opset 99");

  /** Text the one-line error must contain. */
  public final String expected;

  BadModels(String expected) {
    this.expected = expected;
  }

  /** A small valid model: y = relu(x @ w), w a 16x16 initializer. */
  public static Graph tinyGraph() {
    float[] w = new float[256];
    Random r = new Random(5);
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian();
    }
    return Graph.builder()
        .name("tiny")
        .opset("", 17)
        .addInput(new ValueInfo("x", DataType.FLOAT, List.of(Dim.symbolic("batch"), Dim.of(16))))
        .addConstant("w", Tensor.ofFloats(new long[] {16, 16}, w))
        .addNode(Node.of("mm", "MatMul", List.of("x", "w"), List.of("h")))
        .addNode(Node.of("act", "Relu", List.of("h"), List.of("y")))
        .addOutput(new ValueInfo("y", DataType.FLOAT, List.of(Dim.symbolic("batch"), Dim.of(16))))
        .build();
  }

  public static ModelProto tinyProto() {
    return new OnnxModelWriter().toProto(tinyGraph());
  }

  /** Writes this case under {@code dir} and returns the path to pass as the model. */
  public Path create(Path dir) throws IOException {
    Path model = dir.resolve("model.onnx");
    ModelProto ok = tinyProto();
    switch (this) {
      case MISSING -> {
        return dir.resolve("no-such-model.onnx");
      }
      case EMPTY -> Files.write(model, new byte[0]);
      case RANDOM_BYTES -> {
        byte[] b = new byte[4096];
        new Random(11).nextBytes(b);
        Files.write(model, b);
      }
      case TRUNCATED -> {
        byte[] full = ok.toByteArray();
        Files.write(model, java.util.Arrays.copyOf(full, full.length / 2));
      }
      case DIRECTORY -> {
        return Files.createDirectories(dir.resolve("model-dir.onnx"));
      }
      case EXTERNAL_ABSOLUTE -> {
        Path outside = Files.createTempFile("weights", ".bin");
        Files.write(outside, new byte[1024]);
        outside.toFile().deleteOnExit();
        write(model, external(ok, outside.toAbsolutePath().toString(), 0));
      }
      case EXTERNAL_PARENT -> write(model, external(ok, "../weights.bin", 0));
      case EXTERNAL_SYMLINK -> {
        Path outside = Files.createTempFile("weights", ".bin");
        Files.write(outside, new byte[1024]);
        outside.toFile().deleteOnExit();
        Files.createSymbolicLink(dir.resolve("weights.bin"), outside);
        write(model, external(ok, "weights.bin", 0));
      }
      case EXTERNAL_RANGE -> {
        Files.write(dir.resolve("weights.bin"), new byte[1024]);
        write(model, external(ok, "weights.bin", 512));
      }
      case UNKNOWN_OP -> write(model, withNode(ok, 1, ok.getGraph().getNode(1).toBuilder()
          .setOpType("FancyOp").setDomain("com.example").build()));
      case DANGLING_INPUT -> write(model, withNode(ok, 0, ok.getGraph().getNode(0).toBuilder()
          .setInput(1, "nowhere").build()));
      case CYCLE -> write(model, withNode(ok, 0, ok.getGraph().getNode(0).toBuilder().setInput(0, "y").build()));
      case WRONG_ATTRIBUTE_TYPE -> write(model, withNode(ok, 1, NodeProto.newBuilder().setName("act")
          .setOpType("Softmax").addInput("h").addOutput("y")
          .addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.FLOAT)
              .setF(1f)).build()));
      case UNSUPPORTED_OPSET -> write(model, ok.toBuilder().setOpsetImport(0,
          ok.getOpsetImport(0).toBuilder().setVersion(99)).build());
    }
    return model;
  }

  private static void write(Path file, ModelProto m) throws IOException {
    Files.write(file, m.toByteArray());
  }

  private static ModelProto withNode(ModelProto m, int index, NodeProto node) {
    GraphProto g = m.getGraph().toBuilder().setNode(index, node).build();
    return m.toBuilder().setGraph(g).build();
  }

  /** Moves initializer {@code w} (1024 bytes) to external data at {@code location}, {@code offset}. */
  public static ModelProto external(ModelProto m, String location, long offset) {
    TensorProto w = m.getGraph().getInitializer(0);
    TensorProto ext =
        w.toBuilder()
            .clearRawData()
            .setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
            .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue(Long.toString(offset)))
            .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("1024"))
            .build();
    return m.toBuilder().setGraph(m.getGraph().toBuilder().setInitializer(0, ext)).build();
  }

}
