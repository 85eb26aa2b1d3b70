package org.sparkquant.core.fusion;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;

/** Steps that fusion patterns share: following single-consumer chains and reading constant operands. */
public final class Chains {
  /** Ops with an integer kernel that anchor the default blocks. */
  public static final Set<String> WEIGHTED_OPS = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul");

  /** How many per-channel or scalar scale-and-shift nodes may follow a weighted op inside one block. */
  public static final int MAX_AFFINE_STEPS = 4;

  private Chains() {}

  /** Whether {@code n} is a default-domain node of type {@code opType}. */
  public static boolean is(Node n, String opType) {
    return n != null && n.opType().equals(opType) && n.domain().isEmpty();
  }

  /** Whether {@code n} is a default-domain Conv, ConvTranspose, Gemm or MatMul. */
  public static boolean isWeighted(Node n) {
    return n != null && n.domain().isEmpty() && WEIGHTED_OPS.contains(n.opType());
  }

  /**
   * The only node that reads the first output of {@code n}, or null when that value has no reader, several readers
   * or is a graph output: a chain continues only through values nobody else sees.
   */
  public static Node next(Graph graph, Node n) {
    String v = n.outputs().isEmpty() ? "" : n.outputs().get(0);
    if (v.isEmpty() || graph.isOutput(v)) {
      return null;
    }
    List<Node> readers = graph.consumers(v);
    return readers.size() == 1 ? readers.get(0) : null;
  }

  /** The first output of {@code n}. */
  public static String out(Node n) {
    return n.outputs().get(0);
  }

  /** Whether {@code value} is a floating-point constant of {@code graph}. */
  public static boolean isConstant(Graph graph, String value) {
    Tensor t = graph.constants().get(value);
    return t != null && t.dataType().isFloatingPoint();
  }

  /** The value of a one-element float constant, or null when {@code value} is not one. */
  public static Float scalar(Graph graph, String value) {
    Tensor t = graph.constants().get(value);
    return t == null || t.dataType() != DataType.FLOAT || t.numElements() != 1 ? null : t.floats()[0];
  }

  /** Whether {@code n} is a binary {@code opType} with {@code value} as one operand and a constant as the other. */
  public static boolean withConstant(Graph graph, Node n, String opType, String value) {
    if (!is(n, opType) || n.inputs().size() != 2) {
      return false;
    }
    String a = n.inputs().get(0);
    String b = n.inputs().get(1);
    return a.equals(value) && isConstant(graph, b) || b.equals(value) && isConstant(graph, a);
  }

  /**
   * A weighted op and the scale-and-shift nodes after it: a bias {@code Add} or a {@code Mul} with a constant operand
   * (the bias of MatMul, or a normalization exported as Mul and Add) and {@code BatchNormalization} in inference mode
   * with constant parameters (present in eager mode, or where folding was not possible). Empty when {@code anchor} is
   * not a weighted op.
   */
  public static List<Node> weightedPrefix(Graph graph, Node anchor) {
    List<Node> chain = new ArrayList<>();
    if (!isWeighted(anchor)) {
      return chain;
    }
    chain.add(anchor);
    for (int i = 0; i < MAX_AFFINE_STEPS; i++) {
      Node last = chain.get(chain.size() - 1);
      Node n = next(graph, last);
      if (n == null || !isAffine(graph, n, out(last))) {
        break;
      }
      chain.add(n);
    }
    return chain;
  }

  private static boolean isAffine(Graph graph, Node n, String value) {
    if (withConstant(graph, n, "Add", value) || withConstant(graph, n, "Mul", value)) {
      return true;
    }
    if (!is(n, "BatchNormalization") || n.inputs().size() < 5 || !n.inputs().get(0).equals(value)) {
      return false;
    }
    Attribute training = n.attributes().get("training_mode");
    if (training != null && (Long) training.value() != 0) {
      return false;
    }
    return n.inputs().subList(1, 5).stream().allMatch(p -> isConstant(graph, p));
  }

  /** Whether {@code n} is a binary {@code opType} that reads exactly {@code a} and {@code b}, in either order. */
  public static boolean withInputs(Node n, String opType, String a, String b) {
    if (!is(n, opType) || n.inputs().size() != 2) {
      return false;
    }
    return n.inputs().get(0).equals(a) && n.inputs().get(1).equals(b)
        || n.inputs().get(0).equals(b) && n.inputs().get(1).equals(a);
  }

  /**
   * The two readers of {@code value} when exactly two nodes read it and it is not a graph output (the fork of
   * {@code x · f(x)} activations such as decomposed HardSwish); otherwise an empty list.
   */
  public static List<Node> twoReaders(Graph graph, String value) {
    List<Node> readers = graph.consumers(value);
    return readers.size() == 2 && !graph.isOutput(value) ? readers : List.of();
  }

  /** {@code prefix} followed by {@code more}, for building a block's node list. */
  public static List<Node> append(List<Node> prefix, Node... more) {
    List<Node> all = new ArrayList<>(prefix);
    all.addAll(List.of(more));
    return all;
  }
}
