package org.sparkquant.core.export;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.numerics.QuantParams;

/**
 * Everything an {@link Exporter} needs, frozen: the graph after graph-mode passes, with float weights, and, for every
 * quantized activation {@code a}, an Identity node named {@link #quantizerNode quantizerNode(a)} whose output
 * {@link #dequantized dequantized(a)} the nodes placed after the quantizer read; the parameters of every quantized
 * weight with its codes; the parameters of every quantized activation; and the metadata to write into the model.
 * Maps keep their order, which is the order nodes and constants are written in.
 *
 * @param graph the graph to export
 * @param weights parameters per float constant stored quantized
 * @param weightCodes per weight, its codes with {@code weights}' parameters packed as {@link QuantizedWeights#pack};
 *     weights missing here are quantized by the exporter
 * @param activations parameters per activation value that carries a quantizer (shared parameters repeated per value)
 * @param metadata model metadata properties, e.g. the preset
 */
public record FrozenQuantization(Graph graph, Map<String, QuantParams> weights, Map<String, Tensor> weightCodes,
    Map<String, QuantParams> activations, Map<String, String> metadata) {
  public FrozenQuantization {
    // In the given order: Map.copyOf would iterate in an order that differs from JVM to JVM.
    weights = ordered(weights);
    weightCodes = ordered(weightCodes);
    activations = ordered(activations);
    metadata = ordered(metadata);
  }

  /** Weights only (data-free quantization): no activation quantizers, no metadata. */
  public static FrozenQuantization weightsOnly(Graph graph, Map<String, QuantParams> weights,
      Map<String, Tensor> weightCodes) {
    return new FrozenQuantization(graph, weights, weightCodes, Map.of(), Map.of());
  }

  /** The value an activation quantizer outputs; its consumers read this instead of the activation. */
  public static String dequantized(String activation) {
    return activation + "_dequantized";
  }

  /** The name of the Identity node that stands for the quantizer of {@code activation} in {@link #graph}. */
  public static String quantizerNode(String activation) {
    return activation + "/ActivationQuantizer";
  }

  private static <K, V> Map<K, V> ordered(Map<K, V> m) {
    return Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }
}
