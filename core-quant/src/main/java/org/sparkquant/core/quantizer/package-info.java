/**
 * The quantizer: configurations with presets and per-layer rules, and weight quantization (round to nearest) that
 * turns a graph into one whose weights are stored quantized. Calibration, activation quantizers (placed
 * around the fusion blocks of {@link org.sparkquant.core.fusion.FusionPatterns}) and training modes build on this.
 */
package org.sparkquant.core.quantizer;
