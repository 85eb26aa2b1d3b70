package org.sparkquant.core.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class GraphTest {
  private static ValueInfo x() {
    return new ValueInfo("x", DataType.FLOAT, List.of(Dim.of(2)));
  }

  @Test
  void nodesAreOrderedTopologicallyWhateverTheDeclaredOrder() {
    Graph g =
        Graph.builder()
            .addInput(x())
            .addNode(Node.of("second", "Relu", List.of("a"), List.of("b")))
            .addNode(Node.of("first", "Neg", List.of("x"), List.of("a")))
            .addOutput(new ValueInfo("b", DataType.FLOAT, null))
            .build();
    assertEquals(List.of("first", "second"), g.nodes().stream().map(Node::name).toList());
    assertEquals("second", g.producer("b").name());
  }

  @Test
  void danglingInputIsReportedWithTheNodeName() {
    Graph.Builder b =
        Graph.builder()
            .addInput(x())
            .addNode(Node.of("add", "Add", List.of("x", "missing"), List.of("y")))
            .addOutput(new ValueInfo("y", DataType.FLOAT, null));
    ModelFormatException e = assertThrows(ModelFormatException.class, b::build);
    assertTrue(e.getMessage().contains("node 'add' (Add)"), e.getMessage());
    assertTrue(e.getMessage().contains("'missing'"), e.getMessage());
  }

  @Test
  void cycleIsReportedWithANodeOnIt() {
    Graph.Builder b =
        Graph.builder()
            .addInput(x())
            .addNode(Node.of("a", "Add", List.of("x", "c"), List.of("b")))
            .addNode(Node.of("b", "Relu", List.of("b"), List.of("c")))
            .addOutput(new ValueInfo("c", DataType.FLOAT, null));
    ModelFormatException e = assertThrows(ModelFormatException.class, b::build);
    assertTrue(e.getMessage().contains("cycle"), e.getMessage());
    assertTrue(e.getMessage().contains("node 'a'") || e.getMessage().contains("node 'b'"), e.getMessage());
  }

  @Test
  void valueProducedTwiceIsRejected() {
    Graph.Builder b =
        Graph.builder()
            .addInput(x())
            .addNode(Node.of("a", "Relu", List.of("x"), List.of("y")))
            .addNode(Node.of("b", "Neg", List.of("x"), List.of("y")))
            .addOutput(new ValueInfo("y", DataType.FLOAT, null));
    assertThrows(ModelFormatException.class, b::build);
  }

  @Test
  void outputNobodyProducesIsRejected() {
    Graph.Builder b = Graph.builder().addInput(x()).addOutput(new ValueInfo("nope", DataType.FLOAT, null));
    ModelFormatException e = assertThrows(ModelFormatException.class, b::build);
    assertTrue(e.getMessage().contains("'nope'"));
  }

  @Test
  void tensorRejectsDataOfTheWrongSize() {
    assertThrows(
        ModelFormatException.class,
        () -> new Tensor(DataType.FLOAT, new long[] {3}, java.nio.ByteBuffer.allocate(8)));
    assertEquals(2, new Tensor(DataType.INT4, new long[] {3}, java.nio.ByteBuffer.allocate(2)).data().remaining());
  }

  @Test
  void consumersListEachReaderOnceInTopologicalOrder() {
    Graph g =
        Graph.builder()
            .addInput(new ValueInfo("x", DataType.FLOAT, null))
            .addNode(Node.of("sq", "Mul", List.of("x", "x"), List.of("s")))
            .addNode(Node.of("add", "Add", List.of("s", "x"), List.of("y")))
            .addOutput(new ValueInfo("y", DataType.FLOAT, null))
            .build();
    assertEquals(List.of("sq", "add"), g.consumers("x").stream().map(Node::name).toList());
    assertEquals(List.of(), g.consumers("y"));
    assertTrue(g.isOutput("y") && !g.isOutput("s"));
  }
}
