package org.sparkquant.core.quantizer;

import java.util.List;

/**
 * What to quantize and how: a preset's weight spec and activation type, per-layer rules, and the execution mode.
 * Immutable and serializable (jobs ship it to their tasks as it is); {@link #preset(String)} is the usual start.
 *
 * @param preset the preset's id, recorded as provenance
 * @param weights default weight spec
 * @param activations activation spec, or null for weight-only quantization
 * @param rules per-layer rules, applied in order
 * @param mode graph (fold BatchNorm, fusion-aware) or eager
 */
public record QuantizerConfig(
    String preset, WeightSpec weights, ActivationSpec activations, List<LayerRule> rules, ExecutionMode mode)
    implements java.io.Serializable {

  /** Graph mode folds BatchNorm into convolutions before quantizing; eager mode quantizes the graph as it is. */
  public enum ExecutionMode {
    GRAPH,
    EAGER
  }

  public QuantizerConfig {
    rules = List.copyOf(rules);
  }

  /** The preset's configuration in graph mode with no rules. */
  public static QuantizerConfig preset(String id) {
    Preset p = Preset.of(id);
    return new QuantizerConfig(p.id(), p.weights(), p.activations(), List.of(), ExecutionMode.GRAPH);
  }

  public QuantizerConfig withMode(ExecutionMode m) {
    return new QuantizerConfig(preset, weights, activations, rules, m);
  }

  public QuantizerConfig withActivations(ActivationSpec a) {
    return new QuantizerConfig(preset, weights, a, rules, mode);
  }

  public QuantizerConfig withRules(List<LayerRule> r) {
    return new QuantizerConfig(preset, weights, activations, r, mode);
  }

  public boolean quantizesActivations() {
    return activations != null;
  }
}
