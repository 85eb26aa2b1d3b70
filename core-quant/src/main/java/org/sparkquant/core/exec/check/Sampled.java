package org.sparkquant.core.exec.check;

/**
 * Reference outputs at chosen positions: each value, and its magnitude — the sum of the absolute values of the terms
 * that make it up ({@code Σ|x·w| + |b|}), which bounds the rounding error of any float32 evaluation order.
 */
public record Sampled(double[] values, double[] magnitudes) {}
