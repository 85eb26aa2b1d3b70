package org.sparkquant.core.qat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.quantizer.PreparedModel;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.quantizer.WeightQuantizer;
import org.sparkquant.core.quantizer.WeightSpec;

/**
 * What a prepared model trains: its quantized weights, and (optionally) its float vectors, the biases and
 * normalization parameters: rank-1 float constants of two or more elements that only elementwise arithmetic, a Conv,
 * ConvTranspose or Gemm bias, or a normalization's scale and bias read. Tensors are named by their constants; learned
 * scales by {@link #weightScaleKey} and {@link #activationScaleKey}.
 */
public final class Trainables {
  /** A quantized weight with its spec and the parameters it was prepared with. */
  public record Weight(String name, long[] shape, WeightSpec spec, QuantParams planned) {
    public long size() {
      return Tensor.numElements(shape);
    }
  }

  /** A bias or normalization parameter; {@code batchNorm} for a BatchNormalization's scale or bias. */
  public record Vector(String name, long[] shape, boolean batchNorm) {}

  private static final Set<String> ELEMENTWISE = Set.of("Add", "Sub", "Mul", "Div");
  private static final Set<String> BIASED = Set.of("Conv", "ConvTranspose", "Gemm");
  private static final Set<String> NORMS = Set.of("LayerNormalization", "BatchNormalization",
      "InstanceNormalization", "GroupNormalization", "SkipLayerNormalization");

  private final List<Weight> weights;
  private final List<Vector> vectors;
  private final List<String> activationGroups;

  private Trainables(List<Weight> weights, List<Vector> vectors, List<String> activationGroups) {
    this.weights = List.copyOf(weights);
    this.vectors = List.copyOf(vectors);
    this.activationGroups = List.copyOf(activationGroups);
  }

  /** The trainables of {@code prepared}; vectors only when {@code withVectors}. */
  public static Trainables of(PreparedModel prepared, QuantizerConfig config, boolean withVectors) {
    Graph g = prepared.graph();
    Map<String, WeightSpec> specs = new HashMap<>();
    for (WeightQuantizer.Target t : WeightQuantizer.targets(g, config)) {
      specs.put(t.weight(), t.spec());
    }
    List<Weight> weights = new ArrayList<>();
    for (String w : prepared.quantizedWeights()) {
      weights.add(new Weight(w, g.constants().get(w).shape(), specs.get(w), prepared.plannedParams(w)));
    }
    List<Vector> vectors = new ArrayList<>();
    if (withVectors) {
      for (var e : g.constants().entrySet()) {
        Tensor t = e.getValue();
        if (t.dataType() != DataType.FLOAT || t.rank() != 1 || t.shape()[0] < 2
            || prepared.quantizedWeights().contains(e.getKey())) {
          continue;
        }
        List<Node> readers = g.consumers(e.getKey());
        if (!readers.isEmpty() && readers.stream().allMatch(n -> isVectorUse(n, e.getKey()))) {
          boolean bn = readers.stream().anyMatch(n -> n.opType().equals("BatchNormalization"));
          vectors.add(new Vector(e.getKey(), t.shape(), bn));
        }
      }
    }
    return new Trainables(weights, vectors, new ArrayList<>(prepared.activationGroups()));
  }

  private static boolean isVectorUse(Node n, String value) {
    int at = n.inputs().indexOf(value);
    if (!n.domain().isEmpty() && !n.opType().equals("SkipLayerNormalization")) {
      return false;
    }
    if (ELEMENTWISE.contains(n.opType())) {
      return true;
    }
    if (BIASED.contains(n.opType())) {
      return at == 2;
    }
    if (NORMS.contains(n.opType())) {
      return at == 1 || at == 2;
    }
    return false;
  }

  public List<Weight> weights() {
    return weights;
  }

  public List<Vector> vectors() {
    return vectors;
  }

  /** Activation parameter groups of the prepared model, in graph order. */
  public List<String> activationGroups() {
    return activationGroups;
  }

  /** Names of the vectors, for {@link PreparedModel.Trainer#constants()}. */
  public Set<String> vectorNames() {
    Set<String> out = new LinkedHashSet<>();
    vectors.forEach(v -> out.add(v.name()));
    return Collections.unmodifiableSet(out);
  }

  /** The weight named {@code name}, or null. */
  public Weight weight(String name) {
    for (Weight w : weights) {
      if (w.name().equals(name)) {
        return w;
      }
    }
    return null;
  }

  /** Key of weight {@code name}'s learned scales. */
  public static String weightScaleKey(String weight) {
    return weight + "#scale";
  }

  /** Key of activation group {@code group}'s learned scale. */
  public static String activationScaleKey(String group) {
    return group + "#activation_scale";
  }

  /** Trained values and elements in all. */
  public long parameterCount() {
    long n = 0;
    for (Weight w : weights) {
      n += w.size();
    }
    for (Vector v : vectors) {
      n += Tensor.numElements(v.shape());
    }
    return n;
  }
}
