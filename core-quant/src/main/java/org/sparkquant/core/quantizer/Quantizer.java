package org.sparkquant.core.quantizer;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import org.sparkquant.core.fusion.FusionPatterns;
import org.sparkquant.core.graph.Graph;

/**
 * Entry point of the API: {@code new Quantizer(model, config).prepare(exampleInputs)} gives a {@link PreparedModel}
 * whose forward pass already reflects the compression; calibrate or train it inside its mode scopes, then
 * {@link PreparedModel#finalize(org.sparkquant.core.export.Backend)}.
 */
public final class Quantizer {
  private final Graph model;
  private final QuantizerConfig config;
  private final FusionPatterns patterns;

  /** A quantizer with the {@linkplain FusionPatterns#defaults() default fusion patterns}. */
  public Quantizer(Graph model, QuantizerConfig config) {
    this(model, config, FusionPatterns.defaults());
  }

  /** A quantizer whose activation quantizers follow the blocks of {@code patterns}. */
  public Quantizer(Graph model, QuantizerConfig config, FusionPatterns patterns) {
    this.model = model;
    this.config = config;
    this.patterns = patterns;
  }

  /**
   * Inserts fake quantization without calibrating: weights are fake-quantized, activation quantizers pass values
   * through until they have observed data (for calibration spread over processes, whose statistics are merged with
   * {@link PreparedModel#addStatistics}).
   */
  public PreparedModel prepare() {
    return new PreparedModel(model, config, patterns);
  }

  /**
   * As {@link #prepare()}, with weights planned elsewhere (e.g. by GPTQ) instead of round to nearest: the plan's graph
   * must be this quantizer's model after {@link WeightQuantizer#graphFor}, with each planned weight replaced by its
   * dequantized codes, so that fake quantization with the planned parameters reproduces it exactly.
   */
  public PreparedModel prepare(WeightQuantizer.Plan weights) {
    return new PreparedModel(weights, config, patterns);
  }

  /**
   * Inserts fake quantization: weights are fake-quantized from their own ranges, and activation quantizers (placed
   * by {@link ActivationPlacement}) are initialised by one calibration pass over {@code exampleInputs}.
   */
  public PreparedModel prepare(Map<String, NDArray> exampleInputs) {
    PreparedModel prepared = new PreparedModel(model, config, patterns);
    try {
      if (config.quantizesActivations()) {
        try (PreparedModel.Mode m = prepared.calibrationMode()) {
          prepared.forward(exampleInputs).close();
        }
      }
      return prepared;
    } catch (RuntimeException e) {
      prepared.close();
      throw e;
    }
  }
}
